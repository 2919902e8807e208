import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rectangle } from '../../shared/kiosk';
import type { DisplaySpec, VmInfo } from '../../shared/vm-spec';
import { testVmInfo } from '../../../tests/support/vm-info';
import { EventBus } from '../rpc/dispatcher';
import { SettingsService } from '../settings/settings-service';
import type { KioskRun } from '../vm/vm-service';
import { KioskService, type KioskVms } from './kiosk-service';
import type { WindowState, X11, XMonitor, XWindow } from './x11';
import STAND_IN from '../host/debian-12-qemu-capabilities.json';

const MONITORS: XMonitor[] = [
  { name: 'DUMMY0', primary: true, x: 0, y: 0, width: 1920, height: 1080, outputs: ['DUMMY0'] },
  { name: 'DUMMY1', primary: false, x: 1920, y: 0, width: 1280, height: 1024, outputs: ['DUMMY1'] },
];

/** An X server with a window manager that does what EWMH asks, and a switch to make it go away. */
class FakeX implements X11 {
  readonly display = ':9';
  monitorList = [...MONITORS];
  windowList: (XWindow & WindowState)[] = [];
  placed: string[] = [];
  gone = false;
  private check() {
    if (this.gone) throw new Error('xrandr: cannot open display :9');
  }
  async monitors() {
    this.check();
    return this.monitorList;
  }
  async windows() {
    this.check();
    return this.windowList;
  }
  async windowState(id: string) {
    const w = this.windowList.find((x) => x.id === id);
    return { fullscreen: w?.fullscreen ?? false, hidden: w?.hidden ?? false };
  }
  async place(id: string, rect: Rectangle) {
    const w = this.windowList.find((x) => x.id === id);
    if (w) Object.assign(w, rect, { fullscreen: true, hidden: false });
    this.placed.push(id);
  }
  async blankingOff() {
    return 'screen saver and blanking off';
  }
  async blankingOn() {}
}

function vmInfo(name: string, display: DisplaySpec, state: VmInfo['state'] = 'stopped'): VmInfo {
  const epoch = new Date(0).toISOString();
  return testVmInfo(name, { spec: { display }, state, createdAt: epoch, since: epoch });
}

class FakeVms implements KioskVms {
  readonly vms = new Map<string, VmInfo>();
  readonly runs = new Map<string, KioskRun | null>();
  nextPid = 100;
  constructor(private readonly x: FakeX) {}
  async get(id: string) {
    const vm = this.vms.get(id);
    if (!vm) throw new Error(`no VM ${id}`);
    return vm;
  }
  async start(id: string) {
    const vm = await this.get(id);
    const pid = this.nextPid++;
    Object.assign(vm, { state: 'running', pid });
    // QEMU's GTK window opens where the window manager likes: the first monitor, not full-screen.
    this.x.windowList.push({
      id: `0x${pid}`,
      pid,
      x: 300,
      y: 200,
      width: 640,
      height: 480,
      title: `QEMU (${id})`,
      fullscreen: false,
      hidden: false,
    });
    return vm;
  }
  async stop(id: string) {
    return this.get(id);
  }
  setKioskRun(id: string, run: KioskRun | null) {
    this.runs.set(id, run);
  }
}

const homes: string[] = [];
const services: KioskService[] = [];
afterEach(() => {
  services.splice(0).forEach((s) => s.close());
  homes.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function setup(watchIntervalMs = 60_000) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-kiosk-'));
  homes.push(home);
  const x = new FakeX();
  const vms = new FakeVms(x);
  vms.vms.set(
    'a',
    vmInfo('a', { kind: 'local', monitor: null, fullScreen: true, showFps: false, hostInput: true }),
  );
  vms.vms.set(
    'b',
    vmInfo('b', { kind: 'local', monitor: null, fullScreen: true, showFps: false, hostInput: true }),
  );
  vms.vms.set('web', vmInfo('web', { kind: 'vnc' }));
  vms.vms.set('headless', { ...vmInfo('headless', { kind: 'none' }) });
  const settings = new SettingsService(path.join(home, 'config'));
  const kiosk = new KioskService({
    vms,
    settings,
    bus: new EventBus(),
    env: { DISPLAY: ':9' },
    connectors: () => [
      {
        card: 'card0',
        name: 'HDMI-A-1',
        status: 'connected',
        enabled: true,
        modes: [],
        device: '0000:00:02.0',
      },
    ],
    simulatedHost: false,
    capabilities: async () => ({ ...STAND_IN, binary: 'qemu-system-x86_64' }),
    autostart: { env: { XDG_CONFIG_HOME: home }, command: ['tessera', 'kiosk', 'start'] },
    x11: () => x,
    // The tests tick by hand (start, stop, status) unless they want the watchdog's own looks.
    watchIntervalMs,
  });
  services.push(kiosk);
  return { x, vms, settings, kiosk };
}

async function refusal(promise: Promise<unknown>): Promise<{ field: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    const details = (error as { details?: { issues?: { path: unknown[] }[] } }).details;
    return { field: details?.issues?.[0]?.path[0], message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('kiosk assignments', () => {
  it('refuses each bad assignment at its field, with the reason, and keeps what was there', async () => {
    const { kiosk } = setup();
    await kiosk.assign({ monitor: 'DUMMY0', vm: 'a', mode: 'qemu-window' });
    expect(await refusal(kiosk.assign({ monitor: 'HDMI-9', vm: 'b', mode: 'qemu-window' }))).toEqual({
      field: 'monitor',
      message: 'there is no monitor HDMI-9 on :9: its monitors are DUMMY0, DUMMY1',
    });
    expect(await refusal(kiosk.assign({ monitor: 'DUMMY0', vm: 'b', mode: 'qemu-window' }))).toMatchObject({
      field: 'monitor',
      message: expect.stringContaining('DUMMY0 already shows a'),
    });
    expect(await refusal(kiosk.assign({ monitor: 'DUMMY1', vm: 'a', mode: 'qemu-window' }))).toMatchObject({
      field: 'vm',
      message: expect.stringContaining('a is already shown on DUMMY0'),
    });
    expect(await refusal(kiosk.assign({ monitor: 'DUMMY1', vm: 'web', mode: 'qemu-window' }))).toMatchObject({
      field: 'mode',
      message: expect.stringContaining('shows its screen as VNC'),
    });
    expect(await refusal(kiosk.assign({ monitor: 'DUMMY1', vm: 'b', mode: 'tessera-window' }))).toMatchObject(
      {
        field: 'mode',
        message: expect.stringContaining("QEMU's own window (display local)"),
      },
    );
    expect(
      await refusal(kiosk.assign({ monitor: 'DUMMY1', vm: 'headless', mode: 'tessera-window' })),
    ).toMatchObject({
      field: 'mode',
      message: expect.stringContaining('has no display'),
    });
    expect(
      await refusal(kiosk.assign({ monitor: 'DUMMY1', vm: 'ghost', mode: 'qemu-window' })),
    ).toMatchObject({
      field: 'vm',
    });
    expect((await kiosk.get()).assignments).toEqual([{ monitor: 'DUMMY0', vm: 'a', mode: 'qemu-window' }]);
    // Re-assigning the same pair changes its mode in place; a VNC VM goes to Tessera's window.
    await kiosk.assign({ monitor: 'DUMMY1', vm: 'web', mode: 'tessera-window' });
    expect((await kiosk.get()).assignments.map((a) => a.vm)).toEqual(['a', 'web']);
  });

  it('keeps an assignment to a monitor that is not there, and says so', async () => {
    const { kiosk, settings, x } = setup();
    await kiosk.assign({ monitor: 'DUMMY1', vm: 'b', mode: 'qemu-window' });
    x.monitorList = [MONITORS[0] as XMonitor];
    const status = await kiosk.status();
    expect(status.entries).toEqual([
      expect.objectContaining({ monitor: 'DUMMY1', vm: 'b', present: false, placed: false }),
    ]);
    expect(status.entries[0]?.problem).toMatch(/DUMMY1 is not connected now: the assignment is kept/);
    expect((await settings.get()).kiosk.assignments).toHaveLength(1);
  });

  it('names each monitor by its DRM connector where the outputs match', async () => {
    const { kiosk, x } = setup();
    x.monitorList = [{ ...(MONITORS[0] as XMonitor), name: 'HDMI-1', outputs: ['HDMI-1'] }];
    expect((await kiosk.monitors()).monitors[0]).toMatchObject({
      name: 'HDMI-1',
      connector: 'card0-HDMI-A-1',
      simulated: false,
    });
  });
});

describe('the kiosk watchdog', () => {
  it('starts the VMs, places each window on its monitor, and puts back one that moved', async () => {
    const { kiosk, x, vms } = setup();
    await kiosk.assign({ monitor: 'DUMMY0', vm: 'a', mode: 'qemu-window' });
    await kiosk.assign({ monitor: 'DUMMY1', vm: 'b', mode: 'qemu-window' });
    const started = await kiosk.start(5);
    expect(started.running).toBe(true);
    expect(started.entries.map((e) => [e.monitor, e.vmState, e.placed])).toEqual([
      ['DUMMY0', 'running', true],
      ['DUMMY1', 'running', true],
    ]);
    expect(vms.runs.get('a')).toEqual({ giveUp: { crashes: 5, windowMinutes: 10 } });
    const b = x.windowList.find((w) => w.title === 'QEMU (b)');
    expect(b).toMatchObject({ x: 1920, y: 0, width: 1280, height: 1024, fullscreen: true });

    Object.assign(b ?? {}, { x: 0, y: 0, width: 1920, height: 1080 }); // dragged onto the other monitor
    await kiosk.start(5); // a second start is one more look (and starts nothing already running)
    expect(x.windowList.find((w) => w.title === 'QEMU (b)')).toMatchObject({ x: 1920, width: 1280 });
    expect(x.placed.filter((id) => id === b?.id)).toHaveLength(2);

    const stopped = await kiosk.stop();
    expect(stopped.running).toBe(false);
    expect(vms.runs.get('a')).toBeNull();
  });

  it('stops placing with a message when the X server goes away', async () => {
    const { kiosk, x } = setup(20);
    await kiosk.assign({ monitor: 'DUMMY0', vm: 'a', mode: 'qemu-window' });
    expect((await kiosk.start(5)).running).toBe(true);
    x.gone = true;
    await expect.poll(async () => (await kiosk.status()).running, { timeout: 5000 }).toBe(false);
    const status = await kiosk.status();
    expect(status.problem).toMatch(
      /the X server on :9 stopped answering, so placement stopped \(xrandr: cannot open display :9\)/,
    );
    expect(status.entries[0]?.problem).toMatch(/cannot open display :9/);
    expect((await kiosk.get()).assignments).toHaveLength(1);
  });

  it('without X11 refuses to start and says what works', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-kiosk-'));
    homes.push(home);
    const kiosk = new KioskService({
      vms: new FakeVms(new FakeX()),
      settings: new SettingsService(home),
      bus: new EventBus(),
      env: { WAYLAND_DISPLAY: 'wayland-0' },
      connectors: () => [],
      simulatedHost: false,
      capabilities: async () => null,
      autostart: { env: {}, command: [] },
    });
    services.push(kiosk);
    await expect(kiosk.start()).rejects.toThrow(
      /Wayland session: no client may put a window on a chosen monitor/,
    );
    expect((await kiosk.monitors()).server.kind).toBe('wayland');
  });
});
