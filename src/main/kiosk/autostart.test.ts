import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kioskDesktopEntry, kioskStartCommand, kioskUnit, writeAutostart } from './autostart';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the autostart unit', () => {
  it('runs the kiosk in the graphical session, quoting what systemd would split', () => {
    const unit = kioskUnit(['/usr/bin/node', '/opt/my apps/tessera/bin/tessera.js', 'kiosk', 'start']);
    expect(unit).toContain('ExecStart=/usr/bin/node "/opt/my apps/tessera/bin/tessera.js" kiosk start\n');
    expect(unit).toContain('WantedBy=graphical-session.target\n');
    expect(unit).toContain('PartOf=graphical-session.target\n');
  });

  it('has an XDG autostart entry whose Exec quotes what the Desktop Entry spec would split', () => {
    const entry = kioskDesktopEntry(['/usr/bin/node', '/opt/my $apps/100%/tessera.js', 'kiosk', 'start']);
    expect(entry).toContain('Exec=/usr/bin/node "/opt/my \\\\$apps/100%%/tessera.js" kiosk start\n');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    expect(entry).toContain('X-systemd-skip=true\n');
  });

  it('is written and enabled, then removed, in the user config only', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-autostart-'));
    dirs.push(home);
    const env = { XDG_CONFIG_HOME: home };
    const on = await writeAutostart(true, { env, command: ['node', 'tessera.js', 'kiosk', 'start'] });
    expect(on.unitFile).toBe(path.join(home, 'systemd', 'user', 'tessera-kiosk.service'));
    const wants = path.join(
      home,
      'systemd',
      'user',
      'graphical-session.target.wants',
      'tessera-kiosk.service',
    );
    expect(fs.readlinkSync(wants)).toBe(on.unitFile);
    expect(fs.readFileSync(on.unitFile, 'utf8')).toContain('ExecStart=node tessera.js kiosk start');
    expect(on.desktopEntry).toBe(path.join(home, 'autostart', 'tessera-kiosk.desktop'));
    expect(fs.readFileSync(on.desktopEntry, 'utf8')).toContain('Exec=node tessera.js kiosk start\n');
    await writeAutostart(true, { env, command: ['node', 'tessera.js', 'kiosk', 'start'] }); // again: no EEXIST
    await writeAutostart(false, { env, command: [] });
    expect(fs.existsSync(on.unitFile)).toBe(false);
    expect(fs.existsSync(wants)).toBe(false);
    expect(fs.existsSync(on.desktopEntry)).toBe(false);
  });
});

describe('what the autostart entry runs', () => {
  const base = { execPath: '/usr/bin/node', appPath: '/opt/x/bin/tessera.js', packageRoot: '/opt/tessera' };
  it("is the CLI's foreground kiosk start under Node", () => {
    expect(kioskStartCommand({ ...base, electron: false, defaultApp: false })).toEqual([
      '/usr/bin/node',
      '/opt/tessera/bin/tessera.js',
      'kiosk',
      'start',
    ]);
  });
  it('is the packaged app itself with the kiosk flag (its binary cannot run bin/tessera.js)', () => {
    expect(
      kioskStartCommand({ ...base, execPath: '/opt/Tessera/tessera', electron: true, defaultApp: false }),
    ).toEqual(['/opt/Tessera/tessera', '--kiosk-start']);
  });
  it('names the app path when Electron runs an unpackaged app', () => {
    expect(
      kioskStartCommand({
        execPath: '/src/node_modules/electron/dist/electron',
        electron: true,
        defaultApp: true,
        appPath: '/src',
        packageRoot: '/src',
      }),
    ).toEqual(['/src/node_modules/electron/dist/electron', '/src', '--kiosk-start']);
  });
});
