/**
 * The kiosk: every assigned VM full-screen on its monitor, and kept there. A watchdog looks at
 * the X server twice a second and puts back what moved (a window dragged away, un-fullscreened,
 * minimised, a monitor unplugged and plugged again); crashed QEMUs are restarted by the VM
 * service under the kiosk's give-up limit (VmService.setKioskRun) and placed again when their
 * new window appears.
 */
import { TesseraError } from '../../shared/errors';
import { xrandrOutputName, type DrmConnector } from '../../shared/host-displays';
import {
  KioskSettings,
  kioskWindowTitle,
  type DisplayServer,
  type KioskAssignment,
  type KioskEntryStatus,
  type KioskInputs,
  type KioskMode,
  type KioskMonitors,
  type KioskStatus,
  type Monitor,
  type Rectangle,
} from '../../shared/kiosk';
import { gpuNeedsGlDisplay, hasDisplay, type QemuCapabilities } from '../../shared/qemu-capabilities';
import { describeUsbDevice, selectorMatches, type UsbInventory } from '../../shared/usb';
import { canStart, isLive } from '../../shared/vm-actions';
import type { VmInfo } from '../../shared/vm-spec';
import type { DomainEventBus } from '../events';
import type { SettingsService } from '../settings';
import type { VmService } from '../vm';
import { writeAutostart, type AutostartOptions } from './autostart';
import { displayServerOf, x11Tools, type X11, type XMonitor, type XWindow } from './x11';

/** What the kiosk needs of the VM service. */
export type KioskVms = Pick<VmService, 'get' | 'start' | 'stop' | 'setKioskRun'>;

export interface KioskServiceOptions {
  vms: KioskVms;
  settings: Pick<SettingsService, 'get' | 'update'>;
  bus: DomainEventBus;
  env: NodeJS.ProcessEnv;
  /** The host's DRM connectors (host service), to name each monitor's connector. */
  connectors(): DrmConnector[];
  /** The host is a simulated tree: its connectors are not this machine's. */
  simulatedHost: boolean;
  capabilities(): Promise<QemuCapabilities | null>;
  autostart: AutostartOptions;
  /** The host's USB devices and who holds each (the USB service's inventory). */
  usbInventory(): Pick<UsbInventory, 'devices'>;
  /** Whether an evdev node exists now (through the host root). */
  inputPresent(node: string): boolean;
  /** The X server (tests may hand in a fake). */
  x11?: (display: string) => X11;
  watchIntervalMs?: number;
}

const WATCH_INTERVAL_MS = 500;
/**
 * How often `start --wait` looks while windows are still to be placed: as often as a placement
 * script polls (bench/kiosk.ts); a look is a few tool spawns, so this bounds the wait, not the CPU.
 */
const WAIT_POLL_MS = 25;

function problemOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fieldError(field: 'monitor' | 'vm' | 'mode', message: string): TesseraError {
  return new TesseraError('BAD_INPUT', message, { issues: [{ path: [field], message }] });
}

function sameRect(a: Rectangle, b: Rectangle): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** Why this VM cannot be shown this way, or null when it can. */
export function modeProblem(vm: VmInfo, mode: KioskMode, caps: QemuCapabilities | null): string | null {
  const { display, gpu } = vm.spec;
  if (display.kind === 'none') {
    return `${vm.id} has no display (display none): give it a screen (local for QEMU's window, VNC or SPICE for Tessera's) first`;
  }
  if (mode === 'qemu-window') {
    if (display.kind !== 'local') {
      return `${vm.id} shows its screen as ${display.kind.toUpperCase()}, not in QEMU's own window: set its display to local, or show it in Tessera's window (tessera-window)`;
    }
    if (caps && !hasDisplay(caps, 'gtk')) {
      return `QEMU ${caps.version} has no window of its own here: install the Debian package qemu-system-gui`;
    }
    return null;
  }
  if (display.kind === 'local') {
    return `${vm.id} shows its screen in QEMU's own window (display local), which Tessera's window cannot show: choose qemu-window, or set its display to VNC or SPICE`;
  }
  if (gpuNeedsGlDisplay(gpu) && caps && !hasDisplay(caps, 'egl-headless')) {
    return `${vm.id}'s GPU hands its frames over as dma-bufs, which reach VNC or SPICE only through egl-headless, and QEMU ${caps.version} has none here: choose qemu-window`;
  }
  return null;
}

export class KioskService {
  private readonly server: DisplayServer;
  private readonly x11: X11 | null;
  private running = false;
  /** A stop is under way: it is not over (for fronts waiting on it) until its VMs are stopped. */
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private last: KioskStatus;
  private lastJson = '';
  private blanking: string | null = null;
  private problem: string | null = null;
  /** Why the kiosk's start of a VM failed, shown until the VM runs. */
  private readonly startProblems = new Map<string, string>();

  constructor(private readonly options: KioskServiceOptions) {
    this.server = displayServerOf(options.env);
    this.x11 =
      this.server.kind === 'x11' && this.server.display !== null
        ? (options.x11 ?? ((d) => x11Tools(d, options.env)))(this.server.display)
        : null;
    this.last = { running: false, server: this.server, entries: [], blanking: null, problem: null };
  }

  async monitors(): Promise<KioskMonitors> {
    // Without X11 there is nothing to list; the server's message says what works there.
    if (!this.x11) return { server: this.server, monitors: [] };
    return { server: this.server, monitors: this.named(await this.x11.monitors()) };
  }

  async get(): Promise<KioskSettings> {
    return (await this.options.settings.get()).kiosk;
  }

  /** Show `vm` on `monitor`; refused at its field when either is taken or the VM cannot be shown so. */
  async assign(assignment: KioskAssignment): Promise<KioskSettings> {
    const kiosk = await this.get();
    const { monitor, vm, mode } = assignment;
    let info: VmInfo;
    try {
      info = await this.options.vms.get(vm);
    } catch {
      throw fieldError('vm', `there is no VM named ${vm}: create it first, or pick one of the VMs listed`);
    }
    const monitors = await this.xMonitors().catch((error: unknown) => {
      throw fieldError('monitor', problemOf(error));
    });
    if (!monitors.some((m) => m.name === monitor)) {
      const names = monitors.map((m) => m.name).join(', ') || 'none';
      throw fieldError(
        'monitor',
        `there is no monitor ${monitor} on ${this.server.display}: its monitors are ${names}`,
      );
    }
    const onMonitor = kiosk.assignments.find((a) => a.monitor === monitor && a.vm !== vm);
    if (onMonitor) {
      throw fieldError(
        'monitor',
        `${monitor} already shows ${onMonitor.vm}: unassign it first (one VM per monitor)`,
      );
    }
    const elsewhere = kiosk.assignments.find((a) => a.vm === vm && a.monitor !== monitor);
    if (elsewhere) {
      throw fieldError(
        'vm',
        `${vm} is already shown on ${elsewhere.monitor}: unassign it there first (one monitor per VM)`,
      );
    }
    const why = modeProblem(info, mode, await this.options.capabilities());
    if (why !== null) throw fieldError('mode', why);
    const assignments = kiosk.assignments.filter((a) => a.monitor !== monitor);
    // Kept in the order given: the kiosk starts VMs in this order.
    const at = kiosk.assignments.findIndex((a) => a.monitor === monitor);
    assignments.splice(at < 0 ? assignments.length : at, 0, { monitor, vm, mode });
    return this.save({ ...kiosk, assignments });
  }

  async unassign(monitor: string): Promise<KioskSettings> {
    const kiosk = await this.get();
    const gone = kiosk.assignments.find((a) => a.monitor === monitor);
    if (!gone) throw fieldError('monitor', `nothing is assigned to ${monitor}`);
    if (this.running) this.options.vms.setKioskRun(gone.vm, null);
    return this.save({ ...kiosk, assignments: kiosk.assignments.filter((a) => a.monitor !== monitor) });
  }

  async setAutostart(enabled: boolean) {
    const result = await writeAutostart(enabled, this.options.autostart);
    await this.save({ ...(await this.get()), autostart: enabled });
    return result;
  }

  /**
   * Start every assigned VM that is not running (in the order assigned), blanking off, and the
   * watchdog on. With `waitSeconds`, resolves once every window is in place or that time passed.
   */
  async start(waitSeconds = 0): Promise<KioskStatus> {
    if (!this.x11) throw new TesseraError('UNAVAILABLE', this.server.message ?? 'no X server');
    const x11 = this.x11;
    await this.xMonitors(); // an X server that does not answer is said now, not by the watchdog
    const kiosk = await this.get();
    if (!this.running) {
      this.running = true;
      this.problem = null;
      this.blanking = await x11
        .blankingOff()
        .catch((error: unknown) => `blanking left on: ${problemOf(error)}`);
    }
    // All at once (issued in the order assigned), with the watchdog looking meanwhile, so each
    // window is placed as soon as its QEMU opens it. One after the other, N VMs cost N QEMU
    // start-ups up to their QMP greeting before the first look (bench/README.md, "Kiosk").
    let startsDone = false;
    const starts = Promise.all(kiosk.assignments.map((a) => this.startVm(a.vm, kiosk.giveUp))).then(
      () => (startsDone = true),
    );
    this.timer ??= setInterval(() => void this.tick(), this.options.watchIntervalMs ?? WATCH_INTERVAL_MS);
    const deadline = Date.now() + waitSeconds * 1000;
    await this.tick();
    while (this.running && !(startsDone && (this.allPlaced() || Date.now() >= deadline))) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      await this.tick();
    }
    await starts;
    // The last look may predate the last start's end: the answer says how things are now.
    await this.tick();
    return this.last;
  }

  private async startVm(id: string, giveUp: KioskSettings['giveUp']): Promise<void> {
    this.options.vms.setKioskRun(id, { giveUp });
    try {
      const vm = await this.options.vms.get(id);
      if (canStart(vm.state)) await this.options.vms.start(id);
      this.startProblems.delete(id);
    } catch (error) {
      // The assignment stays; the status says why this VM is not up.
      this.startProblems.set(id, `could not start ${id}: ${problemOf(error)}`);
    }
  }

  /** Watchdog off, blanking back, VMs leave kiosk mode (and stop, when asked). */
  async stop(stopVms = false): Promise<KioskStatus> {
    const kiosk = await this.get().catch(() => KioskSettings.parse({}));
    const wasRunning = this.running;
    this.halt();
    this.stopping = true;
    try {
      for (const a of kiosk.assignments) {
        this.options.vms.setKioskRun(a.vm, null);
        if (stopVms) await this.options.vms.stop(a.vm, 30).catch(() => undefined);
      }
      if (wasRunning && this.x11) await this.x11.blankingOn().catch(() => undefined);
      this.blanking = null;
      this.startProblems.clear();
    } finally {
      this.stopping = false;
    }
    await this.tick();
    return this.last;
  }

  async status(): Promise<KioskStatus> {
    if (!this.running) await this.tick();
    return this.last;
  }

  /** Stop watching (the backend closes); VMs keep running. */
  close(): void {
    this.halt();
  }

  private halt(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private allPlaced(): boolean {
    return this.last.entries.every((e) => e.placed || !e.present || e.vmState === 'missing' || e.gaveUp);
  }

  private async save(kiosk: KioskSettings): Promise<KioskSettings> {
    const saved = await this.options.settings.update({ kiosk });
    await this.tick();
    return saved.kiosk;
  }

  private async xMonitors(): Promise<XMonitor[]> {
    if (!this.x11) throw new TesseraError('UNAVAILABLE', this.server.message ?? 'no X server');
    return this.x11.monitors();
  }

  private named(monitors: XMonitor[]): Monitor[] {
    const connectors = this.options.connectors();
    return monitors.map((m) => {
      // RandR outputs are named by the X driver: modesetting says HDMI-1 for the kernel's HDMI-A-1.
      const connector = connectors.find((c) =>
        m.outputs.some((o) => o === c.name || o === xrandrOutputName(c.name)),
      );
      return {
        ...m,
        connector: connector ? `${connector.card}-${connector.name}` : null,
        simulated: connector !== undefined && this.options.simulatedHost,
      };
    });
  }

  /** One look at the X server: the status of each assignment, and (while running) put back what moved. */
  private tick(): Promise<void> {
    // One look at a time; a caller arriving meanwhile waits for the look under way.
    this.ticking ??= this.look().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async look(): Promise<void> {
    let kiosk: KioskSettings;
    try {
      kiosk = await this.get();
    } catch (error) {
      return this.publish({ ...this.last, running: this.running, problem: problemOf(error) });
    }
    let monitors: XMonitor[] = [];
    let windows: XWindow[] = [];
    let xProblem: string | null = null;
    if (this.x11) {
      try {
        [monitors, windows] = await Promise.all([this.x11.monitors(), this.x11.windows()]);
      } catch (error) {
        xProblem = problemOf(error);
      }
    } else {
      xProblem = this.server.message;
    }
    if (xProblem !== null && this.running) {
      // The X server went away (logged out, crashed): nothing can be placed; say so and stop.
      this.halt();
      this.problem = `the X server on ${this.server.display} stopped answering, so placement stopped (${xProblem}): start the kiosk again once it is back`;
    }
    const usb = this.options.usbInventory().devices;
    const entries = await Promise.all(
      kiosk.assignments.map((a) => this.entry(a, monitors, windows, xProblem, usb)),
    );
    this.publish({
      running: this.running || this.stopping,
      server: this.server,
      entries,
      blanking: this.blanking,
      problem: this.problem ?? (this.running ? null : xProblem),
    });
  }

  private async entry(
    a: KioskAssignment,
    monitors: XMonitor[],
    windows: XWindow[],
    xProblem: string | null,
    usb: UsbInventory['devices'],
  ): Promise<KioskEntryStatus> {
    const monitor = monitors.find((m) => m.name === a.monitor);
    const vm = await this.options.vms.get(a.vm).catch(() => null);
    const status: KioskEntryStatus = {
      ...a,
      present: monitor !== undefined,
      vmState: vm?.state ?? 'missing',
      placed: false,
      restarts: vm?.restarts ?? 0,
      restartAt: vm?.restartAt ?? null,
      gaveUp: vm?.gaveUp ?? false,
      problem: null,
      inputs: vm ? this.inputsOf(vm, usb) : { usb: [], evdev: [] },
    };
    const say = (problem: string) => ({ ...status, problem });
    if (!vm)
      return say(
        `there is no VM ${a.vm} any more: the assignment is kept; assign another VM or unassign ${a.monitor}`,
      );
    if (xProblem !== null) return say(xProblem);
    if (!monitor) {
      return say(
        `${a.monitor} is not connected now: the assignment is kept, and ${a.vm} goes back on it when it returns`,
      );
    }
    const lastError = vm.lastError?.message;
    if (vm.gaveUp) return say(lastError ?? 'gave up restarting');
    if (vm.restartAt) {
      const seconds = Math.max(0, Math.ceil((Date.parse(vm.restartAt) - Date.now()) / 1000));
      return say(`QEMU ended${lastError ? ` (${lastError})` : ''}; restarting in ${seconds} s`);
    }
    // A QEMU still starting (before its QMP greeting) may have its window open already: placed now.
    const starting = vm.state === 'starting' && vm.pid !== undefined;
    if (!isLive(vm.state) && !starting) {
      const why = this.startProblems.get(a.vm) ?? lastError;
      return say(`${a.vm} is ${vm.state}${why ? `: ${why}` : ''}`);
    }
    const window = this.windowOf(a, vm, windows);
    if (!window) {
      return say(
        a.mode === 'qemu-window'
          ? "QEMU's window has not appeared yet"
          : `Tessera's kiosk window for ${a.vm} is not open: open Tessera's page #/kiosk/${a.vm} in Chromium with --kiosk --window-position=${monitor.x},${monitor.y}, or start the kiosk from the desktop app`,
      );
    }
    if (!this.x11) return status;
    try {
      const state = await this.x11.windowState(window.id);
      if (sameRect(window, monitor) && state.fullscreen && !state.hidden) return { ...status, placed: true };
      if (!this.running)
        return say(`the window is not on ${a.monitor}, full-screen: start the kiosk to place it`);
      await this.x11.place(window.id, monitor, state);
      return status;
    } catch (error) {
      // The window went between the look and the request (QEMU restarting); the next look finds the new one.
      return say(problemOf(error));
    }
  }

  private inputsOf(vm: VmInfo, usb: UsbInventory['devices']): KioskInputs {
    return {
      usb: vm.spec.usb.map((selector) => {
        const device = usb.find((d) => selectorMatches(selector, d));
        return {
          selector,
          device: device ? { portPath: device.portPath, name: describeUsbDevice(device) } : null,
          heldBy: device?.heldBy ?? null,
        };
      }),
      evdev: vm.spec.evdev.map((node) => ({ path: node, present: this.options.inputPresent(node) })),
    };
  }

  /** QEMU's window is the one its process owns (`_NET_WM_PID`); Tessera's carries the kiosk title. */
  private windowOf(a: KioskAssignment, vm: VmInfo, windows: XWindow[]): XWindow | undefined {
    const mine = windows.filter((w) =>
      a.mode === 'qemu-window'
        ? w.pid !== null && w.pid === vm.pid
        : w.title.includes(kioskWindowTitle(a.vm)),
    );
    return mine.sort((x, y) => y.width * y.height - x.width * x.height)[0];
  }

  private publish(status: KioskStatus): void {
    this.last = status;
    const json = JSON.stringify(status);
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.options.bus.emit('kiosk.changed', { status });
  }
}
