// Autostart after a real login, done the way a login does it: `tessera kiosk autostart on` writes
// the user's files, then a fresh X server comes up bare (as a display manager or startx hands it
// over) and the user's session is started on it, `openbox-session` as resources/kiosk/xinitrc
// does, with nothing else run or clicked. openbox-session runs the XDG autostart entries through
// Debian's openbox-xdg-autostart (python3-xdg); the kiosk has to come up from the entry with each
// window full-screen on its monitor. This machine has no systemd user manager (no systemd as
// PID 1), so the unit's path (graphical-session.target) is written and checked as a file here,
// not run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskAutostart, KioskStatus } from '../../src/shared/kiosk';
import { runCli } from '../support/cli-process';
import { expectKioskPlaced, kioskVmCreateArgs } from '../support/kiosk-placed';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { buildTinyGuest } from '../support/tiny-guest';
import {
  MONITOR_LAYOUT,
  startXorgDummy,
  stopGroup,
  waitForWindowManager,
  type XorgDummy,
} from '../support/xorg-dummy';
import { GUEST_WAIT_MS } from '../support/patience';

const [LEFT, RIGHT] = MONITOR_LAYOUT;
let home: TempHome;
let xorg: XorgDummy;
let env: NodeJS.ProcessEnv;
let session: ChildProcess | undefined;
let xdgDirs: string;

async function cliJson<T>(args: string[]): Promise<T> {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`tessera ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-node.mjs')], { cwd: REPO_ROOT });
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-kiosk-autostart-');
  xorg = await startXorgDummy(MONITOR_LAYOUT, 'none');
  // The simulated Alder Lake-P host (connected DRM connectors for display local, see kiosk.test.ts),
  // built by the first --simulate; the session gets it as TESSERA_HOST_ROOT, as its environment
  // would carry any setting of the kiosk user's, since the autostart entry runs plain
  // `tessera kiosk start`.
  const setup = { ...home.env, DISPLAY: xorg.display, WAYLAND_DISPLAY: '', XDG_SESSION_TYPE: 'x11' };
  for (const name of ['left', 'right']) {
    const created = await runCli([...kioskVmCreateArgs(name, guest), '--simulate', 'adl-p'], setup);
    expect(created).toMatchObject({ code: 0, stderr: '' });
  }
  const simulated = path.join(home.paths.dataDir, 'simulated');
  const [tree] = fs.readdirSync(simulated).filter((n) => !n.startsWith('.'));
  env = { ...setup, TESSERA_HOST_ROOT: path.join(simulated, tree ?? 'none') };
  for (const [name, monitor] of [
    ['left', LEFT.name],
    ['right', RIGHT.name],
  ] as const) {
    expect(await runCli(['kiosk', 'assign', monitor, name], env)).toMatchObject({ code: 0 });
  }
  // The system-wide XDG config is Debian's openbox one; this machine's own system autostart
  // entries (the accessibility bus launcher) are left out, as they would outlive the test.
  xdgDirs = fs.mkdtempSync(path.join(home.root, 'xdg-'));
  fs.cpSync('/etc/xdg/openbox', path.join(xdgDirs, 'openbox'), { recursive: true });
}, 180_000);

afterAll(async () => {
  if (session) await stopGroup(session);
  if (home) killVms(home.paths);
  await xorg?.stop();
  home?.cleanup();
});

describe('kiosk autostart at login', () => {
  it('writes the XDG autostart entry and the systemd user unit', async () => {
    const on = await cliJson<KioskAutostart>(['kiosk', 'autostart', 'on']);
    expect(on.desktopEntry).toBe(
      path.join(path.dirname(home.paths.configDir), 'autostart', 'tessera-kiosk.desktop'),
    );
    const entry = fs.readFileSync(on.desktopEntry, 'utf8');
    expect(entry).toContain(
      `Exec=${process.execPath} ${path.join(REPO_ROOT, 'bin', 'tessera.js')} kiosk start\n`,
    );
    expect(fs.readFileSync(on.unitFile, 'utf8')).toContain('WantedBy=graphical-session.target');
    expect(
      fs.existsSync(
        path.join(path.dirname(on.unitFile), 'graphical-session.target.wants', 'tessera-kiosk.service'),
      ),
    ).toBe(true);
  });

  it('comes up after a fresh login to an openbox session, each window full-screen on its monitor', async () => {
    // Nothing but the session: the kiosk process is the autostart entry's.
    session = spawn('openbox-session', [], {
      env: { ...env, XDG_CONFIG_DIRS: xdgDirs },
      stdio: 'ignore',
      detached: true,
    });
    await waitForWindowManager(xorg.x);
    await expectKioskPlaced(
      xorg,
      cliJson,
      [
        ['left', LEFT],
        ['right', RIGHT],
      ],
      150_000,
    );
    expect((await cliJson<KioskStatus>(['kiosk', 'status'])).running).toBe(true);
    // The backend that answers is the one the session started (no other was run here).
    const info = await cliJson<{ backendPid: number }>(['host']);
    const parent = fs.readFileSync(`/proc/${info.backendPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(parent.slice(-2)).toEqual(['kiosk', 'start']);
  }, 240_000);

  it('autostart off removes both files; stopping the kiosk ends the session-started process', async () => {
    const off = await cliJson<KioskAutostart>(['kiosk', 'autostart', 'off']);
    expect(fs.existsSync(off.desktopEntry)).toBe(false);
    expect(fs.existsSync(off.unitFile)).toBe(false);
    const info = await cliJson<{ backendPid: number }>(['host']);
    expect(await cliJson<KioskStatus>(['kiosk', 'stop', '--stop-vms'])).toMatchObject({ running: false });
    await expect
      .poll(() => fs.existsSync(`/proc/${info.backendPid}`), { timeout: GUEST_WAIT_MS, interval: 250 })
      .toBe(false);
  }, 120_000);
});
