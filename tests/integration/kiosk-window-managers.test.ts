// Placement under each window manager from Debian installed here (tests/support/xorg-dummy.ts:
// openbox, xfwm4): two monitors of different sizes, two tiny guests on stock QEMU with display
// local; after `tessera kiosk start` each QEMU window covers its monitor, full-screen, and a window
// moved away or un-fullscreened is put back. Checked from outside with wmctrl and xprop.
// (kiosk.test.ts covers the rest on openbox: captures, kill -9, give-up, monitor unplug.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskStatus } from '../../src/shared/kiosk';
import { TESSERA_BIN, runCli as runCliOn, stopProcess } from '../support/cli-process';
import { expectKioskPlaced, kioskVmCreateArgs } from '../support/kiosk-placed';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { buildTinyGuest } from '../support/tiny-guest';
import {
  MONITOR_LAYOUT,
  installedWindowManagers,
  placedOn,
  startXorgDummy,
  windowOf,
  type XorgDummy,
} from '../support/xorg-dummy';

// Connected DRM connectors for display local (see kiosk.test.ts); the X server is real.
const SIMULATED = ['--simulate', 'adl-p'];
const [LEFT, RIGHT] = MONITOR_LAYOUT;

beforeAll(() => {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-node.mjs')], { cwd: REPO_ROOT });
}, 120_000);

describe.each(installedWindowManagers())('kiosk placement under %s', (windowManager) => {
  let home: TempHome;
  let xorg: XorgDummy;
  let env: NodeJS.ProcessEnv;
  let kiosk: ChildProcess | undefined;
  const runCli = (args: string[]) => runCliOn([...args, ...SIMULATED], env);
  const cliJson = async <T>(args: string[]): Promise<T> => {
    const result = await runCli([...args, '--json']);
    if (result.code !== 0) throw new Error(`tessera ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    const guest = buildTinyGuest(TINY_GUEST_DIR);
    home = makeTempHome(`tessera-kiosk-${windowManager}-`);
    xorg = await startXorgDummy(MONITOR_LAYOUT, windowManager);
    env = { ...home.env, DISPLAY: xorg.display, WAYLAND_DISPLAY: '', XDG_SESSION_TYPE: 'x11' };
    for (const [name, monitor] of [
      ['left', LEFT.name],
      ['right', RIGHT.name],
    ] as const) {
      const created = await runCli(kioskVmCreateArgs(name, guest));
      expect(created).toMatchObject({ code: 0, stderr: '' });
      expect(await runCli(['kiosk', 'assign', monitor, name])).toMatchObject({ code: 0 });
    }
  }, 120_000);

  afterAll(async () => {
    if (kiosk) await stopProcess(kiosk, 'SIGKILL');
    if (home) killVms(home.paths);
    await xorg?.stop();
    home?.cleanup();
  });

  it('puts each QEMU window full-screen on its monitor, and back when moved or un-fullscreened', async () => {
    expect(await xorg.x('wmctrl', ['-m'])).toMatch(new RegExp(`Name: ${windowManager}`, 'i'));
    kiosk = spawn(process.execPath, [TESSERA_BIN, 'kiosk', 'start', ...SIMULATED], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    kiosk.stdout?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    kiosk.stderr?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const [left = 0, right = 0] = await expectKioskPlaced(
      xorg,
      cliJson,
      [
        ['left', LEFT],
        ['right', RIGHT],
      ],
      120_000,
    );

    const window = await windowOf(xorg, right);
    await xorg.x('xdotool', ['windowmove', window?.id ?? '', '100', '100']);
    await expect.poll(() => placedOn(xorg, right, RIGHT), { timeout: 30_000, interval: 250 }).toBe(true);
    await xorg.x('wmctrl', ['-i', '-r', window?.id ?? '', '-b', 'remove,fullscreen']);
    await expect.poll(() => placedOn(xorg, right, RIGHT), { timeout: 30_000, interval: 250 }).toBe(true);
    expect(await placedOn(xorg, left, LEFT)).toBe(true);

    const stopped = await cliJson<KioskStatus>(['kiosk', 'stop', '--stop-vms']);
    expect(stopped.running).toBe(false);
    await expect.poll(() => kiosk?.exitCode !== null, { timeout: 30_000 }).toBe(true);
    expect(kiosk.exitCode, said).toBe(0);
  }, 240_000);
});
