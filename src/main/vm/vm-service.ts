import fsp from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { TesseraError } from '../../shared/errors';
import { canEdit, canStart, isDown, isUp } from '../../shared/vm-actions';
import {
  hasScreen,
  type InvalidDefinition,
  type VmConfig,
  type VmCreateInput,
  type VmInfo,
  type VmSpec,
  type VmState,
} from '../../shared/vm-spec';
import type { KvmFindings } from '../../shared/host-report';
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import { GIVE_UP_DEFAULT, type GiveUpLimit } from '../../shared/kiosk';
import type { DomainEventBus } from '../events';
import { vmDataFiles, vmRuntimeFiles, type TesseraPaths } from '../paths';
import { ensureVmRuntimeDir } from '../fsutil/private-dir';
import { waitForTextInFile } from '../fsutil/wait-for-text';
import { DEBIAN_12_QEMU_CAPABILITIES } from '../host';
import type { GpuAttachment } from './gpu-attachment';
import type { GpuPlacement } from './gpu-placement';
import { findHostProblems, type VmHostFacts } from './host-validation';
import { pinVcpus } from './cpu-pinning';
import { startSwtpm, stopSwtpm } from './swtpm';
import { buildQemuArgs, type QemuHost } from './qemu-args';
import { fieldIssuesError, preflightVm } from './preflight';
import { tailFile } from './qemu-process';
import { watchRun } from './sign-of-life';
import { VmRunner, type QemuSeam, type RunEnd } from './vm-runner';
import { decideRestart } from './restart-rule';
import { prepareUefiVars } from './uefi-vars';
import { rotateSerialLog } from './serial-log-rotation';
import { checkForwardPortsFree } from './port-probe';
import { pngSize } from './png-size';
import { screendump } from './screendump';
import { refuseForwardConflicts, refuseMoreMemoryThanHost } from './start-checks';
import { KeyedLock } from './keyed-lock';
import { visitLeftRuns } from './left-runs';
import { endRun, newRecord, planRestart, vmInfoOf, type VmRecord } from './vm-record';
import type { VmStore } from './vm-store';
import type { VmUsb } from './usb-attachments';
import { UsbRuns } from './usb-runs';

/** What the VM service needs from the host; the host domain provides it, tests fake it. */
export interface VmHost {
  /** `findings`: what the choice was made from (accelerator.ts), to name a hung guest's likely cause. */
  accelerator(): Promise<{ accelerator: 'kvm' | 'tcg'; reason: string; findings?: KvmFindings }>;
  /** Throws QEMU_MISSING with the package to install. */
  qemuBinary(): string;
  ovmf(secureBoot: boolean): { ovmfCode: string; ovmfVarsTemplate: string } | null;
  /** What the QEMU in use can do; throws QEMU_MISSING without one. */
  qemuCapabilities(): Promise<QemuCapabilities>;
  /** What a spec is checked against: GPU inventory, monitors, hugepage pools, CPUs, QEMU. */
  vmFacts(): Promise<VmHostFacts>;
  /** The TPM emulator; null when it is not installed. */
  swtpm(): string | null;
}

/**
 * What another domain checks or changes in a definition just before QEMU starts: the images
 * domain refuses an overlay whose golden image changed, and gives a "fresh every boot" VM a new
 * overlay when the last one was left behind by a crash. Returns the spec to start.
 */
export type BeforeStart = (spec: VmSpec) => Promise<VmSpec>;

/**
 * A VM the kiosk shows: QEMU gets its window's lockdown options, and every end of a run the
 * user did not ask for is restarted (the kiosk has nobody at the keyboard), up to `giveUp`.
 */
export interface KioskRun {
  giveUp: GiveUpLimit;
}

export interface VmServiceOptions {
  /** How long a started guest may show no sign of life before it gets a warning (sign-of-life.ts). */
  signOfLifeMs?: number;
  /** How runs start QEMU and talk to it: the real thing unless a test gives fakes (vm-runner.ts). */
  qemu?: QemuSeam;
}

export class VmService {
  private readonly records = new Map<string, VmRecord>();
  private readonly locks = new KeyedLock();
  private beforeStart: BeforeStart = async (spec) => spec;
  /** What the kiosk asked for the VMs it shows (setKioskRun); kept while their records come and go. */
  private readonly kioskRuns = new Map<string, KioskRun>();
  private closed = false;
  private readonly usb: UsbRuns;

  constructor(
    private readonly store: VmStore,
    private readonly paths: TesseraPaths,
    private readonly host: VmHost,
    private readonly bus: DomainEventBus,
    private readonly gpu: GpuAttachment,
    usb: VmUsb,
    private readonly options: VmServiceOptions = {},
  ) {
    this.usb = new UsbRuns(usb, paths.runtimeDir);
  }

  /** One hook for the domain that owns disk images (set once by the composition root). */
  setBeforeStart(hook: BeforeStart): void {
    this.beforeStart = hook;
  }

  /** Find QEMUs that an earlier backend (or the CLI) started and take them back under watch. */
  async reattach(): Promise<void> {
    await visitLeftRuns(
      this.paths.runtimeDir,
      async (run) => {
        if ('runner' in run) {
          this.follow(this.record(run.id), run.runner);
          this.adopt(run.runner, Date.now());
          return;
        }
        const { id } = run;
        this.records.set(id, { ...newRecord('crashed'), lastError: run.crashed });
        await this.usb.release(id);
        await this.store
          .get(id)
          .then((spec) => this.gpu.detach(spec, vmRuntimeFiles(this.paths.runtimeDir, id).dir))
          .catch(() => {
            // A definition deleted meanwhile; its lease file goes with the runtime dir below.
          });
      },
      this.options.qemu,
    );
  }

  async list(): Promise<{ vms: VmInfo[]; invalid: InvalidDefinition[] }> {
    const { specs, invalid } = await this.store.load();
    return { vms: specs.map((s) => this.info(s)), invalid };
  }

  async get(id: string): Promise<VmInfo> {
    return this.info(await this.store.get(id));
  }

  async create(input: VmCreateInput & { name: string }): Promise<VmInfo> {
    return this.locked(input.name, async () => {
      const file = this.store.fileFor(input.name);
      if (await this.store.exists(input.name)) {
        const loaded = await this.store.load();
        const broken = loaded.invalid.find((i) => i.file === file);
        throw new TesseraError(
          'CONFLICT',
          broken
            ? `a definition file for '${input.name}' exists but is invalid (${broken.reason}): fix or remove ${file}`
            : `a VM named '${input.name}' already exists`,
        );
      }
      const spec: VmSpec = {
        ...(input as VmSpec),
        uuid: randomUUID(),
        createdAt: new Date().toISOString(),
      };
      await this.validate(spec);
      await this.store.save(spec);
      const vm = this.info(spec);
      this.bus.emit('vm.changed', { vm });
      return vm;
    });
  }

  async update(id: string, config: VmConfig): Promise<VmInfo> {
    return this.locked(id, async () => {
      const current = await this.store.get(id);
      this.requireStopped(id, 'change its settings');
      const spec: VmSpec = {
        ...config,
        name: current.name,
        uuid: current.uuid,
        createdAt: current.createdAt,
      };
      await this.validate(spec);
      await this.store.save(spec);
      const vm = this.info(spec);
      this.bus.emit('vm.changed', { vm });
      return vm;
    });
  }

  async delete(id: string): Promise<void> {
    await this.locked(id, async () => {
      await this.store.get(id);
      this.requireStopped(id, 'delete it');
      this.cancelRestart(id);
      // The last run's end gives back what it held before its files go.
      await this.records.get(id)?.ending;
      await this.store.remove(id);
      await fsp.rm(vmRuntimeFiles(this.paths.runtimeDir, id).dir, { recursive: true, force: true });
      await fsp.rm(vmDataFiles(this.paths.dataDir, id).dir, { recursive: true, force: true });
      this.records.delete(id);
      this.bus.emit('vm.removed', { id });
    });
  }

  async args(id: string): Promise<string[]> {
    return (await this.argsPlan(id)).argv;
  }

  /**
   * What `vm args` is built from, with the argv (binary first): the exports (src/main/export)
   * write a VM as this host would start it.
   */
  async argsPlan(id: string): Promise<{
    spec: VmSpec;
    argv: string[];
    placement: GpuPlacement;
    host: QemuHost;
    swtpm: string | null;
  }> {
    const spec = await this.store.get(id);
    let binary = 'qemu-system-x86_64';
    let capabilities: QemuCapabilities = { ...DEBIAN_12_QEMU_CAPABILITIES, binary };
    try {
      binary = this.host.qemuBinary();
      capabilities = await this.host.qemuCapabilities();
    } catch {
      // `vm args` stays useful on a machine without QEMU: it shows what Debian's QEMU would run.
    }
    const placement = this.gpu.preview(spec);
    const host = await this.qemuHost(spec, placement, capabilities, this.usb.devices());
    return { spec, argv: [binary, ...buildQemuArgs(spec, host)], placement, host, swtpm: this.host.swtpm() };
  }

  /** Show (or stop showing, with null) this VM in the kiosk from its next start or restart on. */
  setKioskRun(id: string, run: KioskRun | null): void {
    if (run) this.kioskRuns.set(id, run);
    else this.kioskRuns.delete(id);
  }

  /** `variant` changes this start's spec only (a run matrix's image); the definition stays as saved. */
  async start(id: string, variant?: (spec: VmSpec) => VmSpec): Promise<VmInfo> {
    return this.locked(id, async () => {
      this.cancelRestart(id);
      const spec = await this.store.get(id);
      // Started by hand (or by the kiosk's start): the give-up count begins again.
      const record = this.record(id);
      record.endings = [];
      delete record.gaveUp;
      const running = record.runner;
      if (running && !canStart(running.state)) {
        throw new TesseraError('INVALID_STATE', `VM '${id}' is already ${running.state}`);
      }
      return this.info(await this.launch(spec, variant));
    });
  }

  private async launch(defined: VmSpec, variant?: (spec: VmSpec) => VmSpec): Promise<VmSpec> {
    const id = defined.name;
    this.host.qemuBinary(); // QEMU_MISSING before anything else is looked at
    const saved = await this.beforeStart(defined);
    if (saved !== defined) await this.store.save(saved);
    const spec = variant ? variant(saved) : saved;
    await preflightVm(spec);
    await this.checkPortsForStart(spec);
    refuseMoreMemoryThanHost(spec);
    await this.checkHost(spec);
    const capabilities = await this.host.qemuCapabilities();
    const runtime = vmRuntimeFiles(this.paths.runtimeDir, id);
    // Before anything is written there (a lease, the TPM's socket, QEMU's): a planted link or
    // someone else's dir is refused, never chmod'ed or filled.
    await ensureVmRuntimeDir(runtime.dir);
    const placement = await this.gpu.attach(spec, runtime.dir);
    let runner: VmRunner;
    try {
      const present = await this.usb.take(spec);
      const host = await this.qemuHost(spec, placement, capabilities, present);
      if (spec.firmware !== 'bios') await prepareUefiVars(spec, host);
      const argv = buildQemuArgs(spec, host);
      await rotateSerialLog(host.runtime, host.data);
      const swtpm = this.host.swtpm();
      // Checked with the host's facts above; swtpm may have gone since.
      if (spec.tpm && swtpm === null)
        throw new TesseraError('UNAVAILABLE', 'swtpm is not installed: install the Debian package swtpm');
      if (spec.tpm && swtpm !== null) await startSwtpm(swtpm, host.runtime, host.data);
      runner = await this.spawn(spec, host, argv);
    } catch (error) {
      if (spec.tpm) await stopSwtpm(runtime);
      await this.usb.release(id);
      await this.gpu.detach(spec, runtime.dir);
      throw error;
    }
    try {
      await pinVcpus((command) => runner.command(command), spec.cpuPinning);
    } catch (error) {
      // A VM asked to run pinned does not run unpinned.
      await runner.kill();
      throw error;
    }
    await this.watchSignOfLife(spec, runner);
    return spec;
  }

  /** Note the run's accelerator and warn when the guest shows nothing in time (sign-of-life.ts). */
  private async watchSignOfLife(spec: VmSpec, runner: VmRunner): Promise<void> {
    const id = spec.name;
    const { accelerator, reason, findings } = await this.host.accelerator();
    const record = this.record(id);
    record.accelerator = { accelerator, reason };
    delete record.warning;
    const screen = hasScreen(spec);
    record.watch?.stop();
    record.watch = watchRun({
      serialLog: vmRuntimeFiles(this.paths.runtimeDir, id).serialLog,
      screen: screen
        ? () => (runner.state === 'running' ? this.screendump(id, 'ppm') : Promise.resolve(null))
        : null,
      acceleration: { accelerator, cpuWithoutVirtualization: findings?.cpu?.virtualization === null },
      afterMs: this.options.signOfLifeMs,
      onWarning: (warning) => {
        if (warning === null) delete record.warning;
        else record.warning = warning;
        this.changed(id);
      },
    });
    this.changed(id);
  }

  /** Start QEMU and watch it; on failure the record keeps why, with the log's tail. */
  private async spawn(spec: VmSpec, host: QemuHost, argv: string[]): Promise<VmRunner> {
    const id = spec.name;
    const binary = this.host.qemuBinary();
    const runner = new VmRunner(id, host.runtime, this.options.qemu);
    const record = this.record(id);
    delete record.lastError;
    const started = Date.now();
    this.follow(record, runner);
    this.changed(id);
    try {
      await runner.start(binary, argv);
    } catch (error) {
      delete record.runner;
      const end = await Promise.race([runner.whenEnded(), Promise.resolve(undefined)]);
      this.setRecord(id, 'stopped', {
        message: error instanceof Error ? error.message : String(error),
        logTail: end?.logTail ?? (await tailFile(host.runtime.log, 20)),
      });
      throw error;
    }
    this.adopt(runner, started);
    return runner;
  }

  /** The record shows the runner's state from now on, for as long as it is the record's runner. */
  private follow(record: VmRecord, runner: VmRunner): void {
    record.runner = runner;
    const copy = () => {
      if (record.runner !== runner) return;
      record.state = runner.state;
      record.since = runner.since;
    };
    copy();
    runner.on('change', () => {
      if (record.runner !== runner) return;
      copy();
      this.changed(runner.id);
    });
  }

  /** A run that is up: its end is handled (onRunEnd) and waited for by stop, delete and close. */
  private adopt(runner: VmRunner, started: number): void {
    const record = this.record(runner.id);
    runner.once('end', (end) => (record.ending = this.onRunEnd(record, runner.id, end, started)));
    this.changed(runner.id);
  }

  private async onRunEnd(record: VmRecord, id: string, end: RunEnd, started: number): Promise<void> {
    endRun(record, end);
    await this.usb.release(id);
    let spec: VmSpec;
    try {
      spec = await this.store.get(id);
      // Whatever the run held goes back before anyone hears it ended, so a VM started next finds it free.
      await this.gpu.detach(spec, vmRuntimeFiles(this.paths.runtimeDir, id).dir);
    } catch {
      this.changed(id);
      return;
    }
    this.changed(id);
    if (this.closed) return;
    const kiosk = this.kioskRuns.get(id);
    const now = Date.now();
    const decision = decideRestart(
      kiosk ? 'always' : spec.restartPolicy,
      { clean: end.clean, requested: end.requested, startedAt: started, endedAt: now },
      record,
      kiosk?.giveUp ?? GIVE_UP_DEFAULT,
    );
    if (decision.kind === 'leave-off') return;
    planRestart(record, decision, end, now, () => {
      void this.locked(id, () => this.launch(spec)).catch(() => {
        // The failure is in the record's lastError; the user sees it on the card.
      });
    });
    if (decision.kind === 'give-up') console.error(`tessera: VM '${id}' ${record.lastError?.message}`);
    this.changed(id);
  }

  async stop(id: string, timeoutSeconds: number): Promise<VmInfo> {
    const runner = this.requireRunner(id);
    this.cancelRestart(id);
    await runner.stop(timeoutSeconds * 1000);
    await this.records.get(id)?.ending;
    return this.get(id);
  }

  async kill(id: string): Promise<VmInfo> {
    this.cancelRestart(id);
    const runner = this.records.get(id)?.runner;
    if (!runner) {
      await this.store.get(id);
      throw new TesseraError('INVALID_STATE', `VM '${id}' is not running`);
    }
    await runner.kill();
    await this.records.get(id)?.ending;
    return this.get(id);
  }

  /** A QMP command to a running VM, for domains that drive QEMU further (snapshots). */
  async command<T = unknown>(id: string, name: string, args?: { [key: string]: unknown }): Promise<T> {
    return this.requireRunner(id).command<T>(name, args);
  }

  async reset(id: string): Promise<VmInfo> {
    await this.requireRunner(id).command('system_reset');
    return this.get(id);
  }

  async pause(id: string): Promise<VmInfo> {
    const runner = this.requireRunner(id);
    if (runner.state === 'paused') return this.get(id);
    await runner.command('stop');
    return this.get(id);
  }

  async resume(id: string): Promise<VmInfo> {
    const runner = this.requireRunner(id);
    if (runner.state === 'running') return this.get(id);
    await runner.command('cont');
    return this.get(id);
  }

  async screenshot(id: string): Promise<{ pngBase64: string; width: number; height: number }> {
    const png = await this.screendump(id, 'png');
    return { pngBase64: png.toString('base64'), ...pngSize(png) };
  }

  /**
   * The VM's screen as QEMU dumps it: PNG, or PPM (raw pixels, cheapest to read). `spec` is the
   * definition when the caller has just read it (a thumbnail poll), so it is not read twice.
   */
  async screendump(id: string, format: 'png' | 'ppm', spec?: VmSpec): Promise<Buffer> {
    spec ??= await this.store.get(id);
    if (!hasScreen(spec))
      throw new TesseraError('INVALID_STATE', `VM '${id}' has no display to take a picture of`);
    const runner = this.requireRunner(id);
    return screendump(
      (name, args) => runner.command(name, args),
      vmRuntimeFiles(this.paths.runtimeDir, id).dir,
      format,
    );
  }

  async log(id: string, lines: number): Promise<string[]> {
    await this.store.get(id);
    return tailFile(vmRuntimeFiles(this.paths.runtimeDir, id).log, lines);
  }

  async waitSerial(id: string, text: string, timeoutSeconds: number): Promise<{ elapsedMs: number }> {
    const runner = this.requireRunner(id);
    const files = vmRuntimeFiles(this.paths.runtimeDir, id);
    try {
      return await waitForTextInFile(files.serialLog, text, {
        timeoutMs: timeoutSeconds * 1000,
        isAlive: () => isUp(runner.state),
      });
    } catch (error) {
      // A wait that ran out on a guest with no sign of life says why it probably never came.
      const warning = this.records.get(id)?.warning;
      if (error instanceof TesseraError && error.code === 'TIMEOUT' && warning !== undefined) {
        throw new TesseraError('TIMEOUT', `${error.message}. ${warning}`);
      }
      throw error;
    }
  }

  runningSpecIds(): string[] {
    return [...this.records].filter(([, r]) => r.runner).map(([id]) => id);
  }

  /**
   * Stop watching; running VMs keep running and a later backend re-attaches. Resolves once the
   * work already under way (a start, a stop, a run's end giving its GPU back) is done, so nothing
   * of this backend writes to its files after it is closed.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.records.values()) {
      clearTimeout(r.restartTimer);
      delete r.restartTimer;
    }
    const endings = () => [...this.records.values()].flatMap((r) => (r.ending ? [r.ending] : []));
    // A run may end while a start is awaited: wait until nothing is left.
    while (this.locks.busy().length > 0) await Promise.allSettled([...this.locks.busy(), ...endings()]);
    await Promise.allSettled(endings());
    for (const r of this.records.values()) {
      r.watch?.stop();
      delete r.watch;
      r.runner?.detach();
      delete r.runner;
    }
  }

  private info(spec: VmSpec): VmInfo {
    const record = this.record(spec.name);
    const running = record.runner !== undefined;
    return vmInfoOf(spec, record, {
      gpuLease: running ? this.gpu.held(spec, vmRuntimeFiles(this.paths.runtimeDir, spec.name).dir) : null,
      usbAttached: running ? this.usb.attached(spec.name) : null,
    });
  }

  private record(id: string): VmRecord {
    let r = this.records.get(id);
    if (!r) this.records.set(id, (r = newRecord()));
    return r;
  }

  private setRecord(id: string, state: VmState, lastError?: VmRecord['lastError']): void {
    const r = this.record(id);
    r.state = state;
    r.since = new Date().toISOString();
    if (lastError) r.lastError = lastError;
    this.changed(id);
  }

  private changed(id: string): void {
    if (this.closed) return;
    void this.store
      .get(id)
      .then((spec) => this.bus.emit('vm.changed', { vm: this.info(spec) }))
      .catch(() => {
        // Deleted or broken definitions have nothing to show.
      });
  }

  private requireRunner(id: string): VmRunner {
    const runner = this.records.get(id)?.runner;
    if (!runner || isDown(runner.state)) {
      throw new TesseraError('INVALID_STATE', `VM '${id}' is not running`);
    }
    return runner;
  }

  private requireStopped(id: string, what: string): void {
    const runner = this.records.get(id)?.runner;
    if (runner && !canEdit(runner.state)) {
      throw new TesseraError('INVALID_STATE', `VM '${id}' is ${runner.state}: stop it first to ${what}`);
    }
  }

  private cancelRestart(id: string): void {
    const record = this.records.get(id);
    if (!record) return;
    clearTimeout(record.restartTimer);
    delete record.restartTimer;
    delete record.restartAt;
  }

  private async validate(spec: VmSpec): Promise<void> {
    await preflightVm(spec);
    await this.checkHost(spec);
    const { specs } = await this.store.load();
    const others = specs.filter((s) => s.name !== spec.name);
    refuseForwardConflicts(spec, others);
    const owned = this.usb.ownerConflicts(spec, others);
    if (owned.length > 0) throw fieldIssuesError(owned);
  }

  /** A running VM's forwards, then other programs, may hold a port this VM forwards. */
  private async checkPortsForStart(spec: VmSpec): Promise<void> {
    const others = this.runningSpecIds().filter((k) => k !== spec.name);
    const otherSpecs = (await this.store.load()).specs.filter((s) => others.includes(s.name));
    refuseForwardConflicts(spec, otherSpecs);
    await checkForwardPortsFree(spec);
  }

  /** The spec against this host's GPU, monitors, CPUs, hugepages and QEMU (host-validation.ts). */
  private async checkHost(spec: VmSpec): Promise<void> {
    const issues = findHostProblems(spec, await this.host.vmFacts());
    if (issues.length > 0) throw fieldIssuesError(issues);
  }

  private async qemuHost(
    spec: VmSpec,
    gpu: GpuPlacement,
    capabilities: QemuCapabilities,
    usb: QemuHost['usb'],
  ): Promise<QemuHost> {
    return {
      usb,
      accelerator: (await this.host.accelerator()).accelerator,
      runtime: vmRuntimeFiles(this.paths.runtimeDir, spec.name),
      data: vmDataFiles(this.paths.dataDir, spec.name),
      firmware: spec.firmware === 'bios' ? null : this.host.ovmf(spec.firmware === 'uefi-secure-boot'),
      capabilities,
      gpu,
      kiosk: this.kioskRuns.has(spec.name),
    };
  }

  /** Plug a host USB device into a running VM (usb-runs.ts). */
  async usbAttach(id: string, device: string): Promise<VmInfo> {
    return this.locked(id, async () => {
      const spec = await this.store.get(id);
      const runner = this.requireRunner(id);
      await this.usb.attach(spec, (name, args) => runner.command(name, args), device);
      this.changed(id);
      return this.info(spec);
    });
  }

  /** Unplug a USB device from a running VM and give its node back (usb-runs.ts). */
  async usbDetach(id: string, device: string): Promise<VmInfo> {
    return this.locked(id, async () => {
      const spec = await this.store.get(id);
      const runner = this.requireRunner(id);
      await this.usb.detach(id, (name, args) => runner.command(name, args), device);
      this.changed(id);
      return this.info(spec);
    });
  }

  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }
}
