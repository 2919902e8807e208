/**
 * The .deb's file map as electron-builder computes it from electron-builder.yml, without the
 * Electron binary (its download cannot be had on every machine, this one included):
 * electron-builder's own `build()` with `prepackaged` pointing at a stand-in for the packed app (a
 * directory with the executable's name in it) and `effectiveOptionComputed`, which hands over
 * fpm's arguments and the .desktop entry written for them and stops before fpm runs. Everything
 * else in the map must be files that exist after `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { Arch, Platform, build } from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { decodePng } from '../../src/main/console/png';
import { HELPER_LAUNCHER } from '../../src/main/gpu/helper-client';
import { REPO_ROOT } from '../support/temp-home';

const at = (...parts: string[]) => path.join(REPO_ROOT, ...parts);
const HELPER_BUNDLE = at('out', 'helper', 'index.js');
const DESKTOP_ENTRY = at('resources', 'linux', 'tessera-desktop.desktop');
/** The hicolor sizes desktops look in (Icon Theme Specification; GNOME and KDE use 16…512). */
const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];

function whyNot(): string | null {
  if (!fs.existsSync(HELPER_BUNDLE)) return `needs the built helper ${HELPER_BUNDLE}: run npm run build`;
  const tools = { 'desktop-file-validate': 'desktop-file-utils', 'rsvg-convert': 'librsvg2-bin' };
  for (const [tool, pkg] of Object.entries(tools))
    if (spawnSync(tool, ['--help']).error) return `needs ${tool} (Debian package ${pkg})`;
  return null;
}
const skipReason = whyNot();
if (skipReason) console.warn(`packaging: skipped: ${skipReason}`);

const builderConfig = YAML.parse(fs.readFileSync(at('electron-builder.yml'), 'utf8')) as {
  linux: { executableName: string };
};
const executable = builderConfig.linux.executableName;

let tmp = '';
let standIn = '';
/** fpm's `source=destination` arguments, in order. */
let fileMap: { source: string; destination: string }[] = [];
let desktopEntry = '';
/** Where electron-builder wrote the entry (its own temp dir, gone after the build). */
let desktopFile = '';

const destinationOf = (source: string) => fileMap.find((e) => e.source === source)?.destination;
const sourceOf = (destination: string) => fileMap.find((e) => e.destination === destination)?.source;

describe.skipIf(skipReason !== null)('the .deb electron-builder makes from electron-builder.yml', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-packaging-'));
    standIn = path.join(tmp, 'linux-unpacked');
    // electron-builder copies its AppArmor profile for Electron into the app's resources/.
    fs.mkdirSync(path.join(standIn, 'resources'), { recursive: true });
    fs.writeFileSync(path.join(standIn, executable), '#!/bin/sh\n', { mode: 0o755 });
    let fpmArgs: string[] = [];
    await build({
      projectDir: REPO_ROOT,
      targets: Platform.LINUX.createTarget('deb', Arch.x64),
      prepackaged: standIn,
      publish: 'never',
      config: {
        directories: { output: path.join(tmp, 'dist') },
        // electron-builder refuses a .deb without a maintainer and a homepage, and the project has
        // chosen neither yet (README, "Packaging"); these stand in for them here only.
        linux: { maintainer: 'test stand-in' },
        extraMetadata: { homepage: 'https://example.invalid/' },
      },
      effectiveOptionComputed: async (computed: unknown) => {
        [fpmArgs, desktopFile] = computed as [string[], string];
        desktopEntry = fs.readFileSync(desktopFile, 'utf8');
        return true; // stop here: no fpm
      },
    });
    fileMap = fpmArgs
      .filter((a) => /^[^-].*=\//.test(a))
      .map((a) => {
        const i = a.lastIndexOf('=/');
        return { source: a.slice(0, i), destination: a.slice(i + 1) };
      });
  }, 180_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('names only files that exist after npm run build', () => {
    console.info(
      `packaging: file map:\n${fileMap.map((e) => `  ${e.source} → ${e.destination}`).join('\n')}`,
    );
    expect(destinationOf(`${standIn}/`)).toBe('/opt/Tessera');
    // The kiosk session's pieces, for the README's kiosk set-up from an installed package.
    expect(destinationOf('resources/kiosk/')).toBe('/usr/share/tessera/kiosk');
    const ours = fileMap.filter((e) => !e.source.startsWith(`${standIn}/`));
    expect(ours.length).toBeGreaterThan(10);
    const missing = ours
      .filter((e) => e.source !== desktopFile)
      .filter((e) => !fs.existsSync(path.resolve(REPO_ROOT, e.source)));
    expect(missing).toEqual([]);
  });

  it("installs the launcher where the polkit action's exec.path and the helper client say, and the helper where the launcher runs it", () => {
    const policySource = sourceOf('/usr/share/polkit-1/actions/org.tessera.helper.policy');
    expect(policySource).toBeDefined();
    const policy = new DOMParser().parseFromString(
      fs.readFileSync(path.resolve(REPO_ROOT, policySource ?? ''), 'utf8'),
      'text/xml',
    );
    const execPaths = Array.from(policy.getElementsByTagName('annotate'))
      .filter((a) => a.getAttribute('key') === 'org.freedesktop.policykit.exec.path')
      .map((a) => a.textContent?.trim());
    expect(execPaths).toEqual([HELPER_LAUNCHER]);
    expect(destinationOf('build/tessera-helper')).toBe(HELPER_LAUNCHER);
    const runs = fs.readFileSync(at('build', 'tessera-helper'), 'utf8').match(/^exec \S+ (\S+)$/m)?.[1];
    expect(destinationOf('out/helper/index.js')).toBe(runs);
  });

  it('has the app icon at every hicolor size, drawn from resources/icons/tessera.svg', () => {
    for (const size of ICON_SIZES) {
      const source = sourceOf(`/usr/share/icons/hicolor/${size}x${size}/apps/${executable}.png`);
      expect(source, `${size}x${size}`).toBe(at('resources', 'icons', `${size}x${size}.png`));
      const icon = decodePng(fs.readFileSync(source ?? ''));
      expect([icon.width, icon.height]).toEqual([size, size]);
      // The committed PNG is the SVG as rsvg-convert draws it (scripts/render-icons.sh): within a
      // rounding step or two per channel, whatever librsvg's version.
      const fresh = path.join(tmp, `${size}.png`);
      const rendered = spawnSync('rsvg-convert', [
        '-w',
        `${size}`,
        '-h',
        `${size}`,
        '-o',
        fresh,
        at('resources/icons/tessera.svg'),
      ]);
      expect(rendered.status, rendered.stderr.toString()).toBe(0);
      const again = decodePng(fs.readFileSync(fresh));
      let difference = 0;
      for (let i = 0; i < icon.data.length; i++)
        difference += Math.abs((icon.data[i] ?? 0) - (again.data[i] ?? 0));
      expect(difference / icon.data.length, `${size}x${size}`).toBeLessThan(2);
      // Not a blank square: the background and the four tiles at least.
      const colours = new Set<number>();
      for (let i = 0; i < icon.data.length; i += 3)
        colours.add(((icon.data[i] ?? 0) << 16) | ((icon.data[i + 1] ?? 0) << 8) | (icon.data[i + 2] ?? 0));
      expect(colours.size, `${size}x${size}`).toBeGreaterThanOrEqual(5);
    }
    expect(sourceOf(`/usr/share/icons/hicolor/scalable/apps/${executable}.svg`)).toBe(
      'resources/icons/tessera.svg',
    );
  });

  it('writes the .desktop entry kept in resources/linux, and desktop-file-validate accepts it', () => {
    expect(sourceOf(`/usr/share/applications/${executable}.desktop`)).toBe(desktopFile);
    expect(desktopEntry).toBe(fs.readFileSync(DESKTOP_ENTRY, 'utf8'));
    expect(desktopEntry).toContain(`\nExec=/opt/Tessera/${executable} %U\n`);
    expect(desktopEntry).toContain(`\nIcon=${executable}\n`);
    const validated = spawnSync('desktop-file-validate', [DESKTOP_ENTRY], { encoding: 'utf8' });
    console.info(
      `packaging: desktop-file-validate: exit ${validated.status} ${validated.stdout}${validated.stderr}`,
    );
    expect(validated.status).toBe(0);
    expect(validated.stdout + validated.stderr).not.toMatch(/error:/);
  });
});
