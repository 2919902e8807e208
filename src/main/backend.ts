import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDispatcher, EventBus, type Dispatcher, type Handlers } from './rpc/dispatcher';
import { DomainEventBus, forwardDomainEvents } from './events';
import { defaultPaths, type TesseraPaths } from './paths';
import { createHostService, pathInfo, type HostOptions, type HostService } from './host';
import { chooseHostRoot, type HostRootOptions } from './host-root-option';
import {
  ChangeLog,
  createGpuService,
  createHelperClient,
  LayoutStore,
  type GpuService,
  type HelperClient,
} from './gpu';
import { createDisk, helperGpuLeases, signOfLifeMs, usbHolders, VmService, VmStore, type VmHost } from './vm';
import { ConsoleService, ThumbnailService } from './console';
import { SettingsService } from './settings';
import { createExportService } from './export';
import { RunMatrixService, RunsService } from './runs';
import { ImagesService } from './images';
import { KioskService, kioskStartCommand } from './kiosk';
import { packageRoot } from './fsutil/package-root';
import { createUsbService } from './usb';

export interface BackendOptions extends HostOptions, HostRootOptions {
  paths?: Partial<TesseraPaths>;
  /** Check every handler's result against the contract (tests turn this on). */
  validateOutputs?: boolean;
  /** Do not look for running VMs to re-attach (one-shot CLI commands that only read). */
  skipReattach?: boolean;
  /** How GPU plans reach the host; by default pkexec on `/` and the bundled helper on other roots. */
  helper?: HelperClient;
  /** Most a validation run keeps of each step's stdout and stderr (tests ask for less than the 4 MiB). */
  runOutputLimitBytes?: number;
  /** Free bytes where golden images are written (statfs by default; tests make a disk full). */
  freeBytes?: (dir: string) => Promise<number>;
  /** What the kiosk's autostart unit runs; by default this package's CLI under this Node. */
  kioskCommand?: string[];
  /** How long a started guest may show no sign of life before its warning; TESSERA_SIGN_OF_LIFE_SECONDS by default. */
  signOfLifeMs?: number;
}

export interface Backend {
  readonly paths: TesseraPaths;
  readonly dispatcher: Dispatcher;
  readonly events: EventBus;
  readonly vms: VmService;
  readonly host: HostService;
  readonly gpu: GpuService;
  readonly consoles: ConsoleService;
  readonly runs: RunsService;
  readonly images: ImagesService;
  readonly kiosk: KioskService;
  /** Stop serving; VMs keep running. */
  close(): Promise<void>;
}

/** The composition root: every domain service built once, wired to one dispatcher. */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const paths: TesseraPaths = { ...defaultPaths(env), ...options.paths };
  // Domains talk on their own bus; the fronts get each event on the wire (DESIGN.md).
  const domainEvents = new DomainEventBus();
  const events = new EventBus();
  forwardDomainEvents(domainEvents, events);
  const hostRoot = chooseHostRoot(options, env, paths.dataDir);
  const host = createHostService({ ...options, env }, hostRoot, paths.cacheDir);
  const helper = options.helper ?? createHelperClient({ hostRoot: hostRoot.identity.root });
  const gpu = createGpuService({
    root: hostRoot.root,
    host: hostRoot.identity,
    helper,
    changes: ChangeLog.inDataDir(paths.dataDir),
    layouts: LayoutStore.inConfigDir(paths.configDir),
    events: domainEvents,
    holders: () => leases.holders(),
  });
  // Starts at the same moment (the kiosk's) share one read of the host: each read walks the GPU
  // inventory and connectors in sysfs synchronously, which N starts would otherwise do N times.
  let vmFacts: ReturnType<VmHost['vmFacts']> | undefined;
  const vmHost: VmHost = {
    accelerator: () => host.accelerator(),
    qemuBinary: () => host.qemuBinary(),
    ovmf: (secureBoot) => host.ovmf(secureBoot),
    qemuCapabilities: () => host.qemuCapabilities(),
    swtpm: () => host.swtpm(),
    vmFacts: () =>
      (vmFacts ??= (async () => ({
        inventory: gpu.inventory(),
        connectors: host.connectors(),
        hugepages: host.hugepagePools(),
        hostCpus: os.availableParallelism(),
        swtpm: host.swtpm(),
        // Without QEMU the start says so; a definition can still be written.
        capabilities: await host.qemuCapabilities().catch(() => null),
      }))().finally(() => (vmFacts = undefined))),
  };
  const leases = helperGpuLeases({
    gpu,
    runtimeDir: paths.runtimeDir,
    // Any root but `/` is not this machine's hardware: QEMU cannot open its devices.
    simulated: path.resolve(hostRoot.identity.root) !== '/',
    memlockFor: (guestMiB) => host.memlockFor(guestMiB),
  });
  const usb = createUsbService({
    root: hostRoot.root,
    simulated: path.resolve(hostRoot.identity.root) !== '/',
    helper,
  });
  const vms = new VmService(new VmStore(paths.configDir), paths, vmHost, domainEvents, leases, usb, {
    signOfLifeMs: options.signOfLifeMs ?? signOfLifeMs(env),
  });
  const images = new ImagesService({
    paths,
    vms,
    bus: domainEvents,
    qemuImg: () => host.qemuImg(),
    env,
    ...(options.freeBytes ? { freeBytes: options.freeBytes } : {}),
  });
  const consoles = new ConsoleService({
    paths,
    vms,
    bus: domainEvents,
    env,
    onInput: (id) => images.noteInput(id),
  });
  const thumbnails = new ThumbnailService({ paths, vms, bus: domainEvents });
  const settings = new SettingsService(paths.configDir, domainEvents);
  const exports = createExportService({
    argsPlan: (id) => vms.argsPlan(id),
    ids: async () => (await vms.list()).vms.map((v) => v.id),
    inventory: () => gpu.inventory(),
  });
  if (!options.skipReattach) {
    await vms.reattach();
    await images.recover();
  }
  const runs = new RunsService({
    paths,
    vms,
    consoles,
    host,
    gpu,
    events: domainEvents,
    ...(options.runOutputLimitBytes !== undefined ? { outputLimitBytes: options.runOutputLimitBytes } : {}),
  });
  const matrices = new RunMatrixService({
    runs,
    vms,
    gpu,
    images,
    events: domainEvents,
    dataDir: paths.dataDir,
  });
  // Runs a dead backend left behind are finished as interrupted (after re-attach: it stops their VMs).
  if (!options.skipReattach) {
    await runs.recover();
    await matrices.recover();
  }
  const kiosk = new KioskService({
    vms,
    settings,
    bus: domainEvents,
    env,
    connectors: () => host.connectors(),
    simulatedHost: host.identity().simulated !== null,
    capabilities: () => host.qemuCapabilities().catch(() => null),
    usbInventory: () => usb.inventory([], usbHolders(paths.runtimeDir)),
    inputPresent: (node) => hostRoot.root.access(node, fs.constants.F_OK).ok,
    autostart: {
      env,
      command:
        options.kioskCommand ??
        kioskStartCommand({
          execPath: process.execPath,
          electron: process.versions.electron !== undefined,
          defaultApp: (process as NodeJS.Process & { defaultApp?: boolean }).defaultApp === true,
          appPath: process.argv[1],
          packageRoot: packageRoot(),
        }),
    },
  });

  const handlers: Handlers = {
    'host.info': async () => ({
      ...(await host.info()),
      configDir: paths.configDir,
      runtimeDir: paths.runtimeDir,
      dataDir: paths.dataDir,
      backendPid: process.pid,
      host: host.identity(),
    }),
    'host.doctor': async () => {
      const { vms: defined } = await vms.list();
      const largest = Math.max(0, ...defined.map((v) => v.spec.memoryMiB));
      return host.doctor(gpu.inventory(), largest > 0 ? largest : null);
    },
    'gpu.list': async () => gpu.inventory(),
    'host.qemuCapabilities': () => host.qemuCapabilities(),
    'host.monitors': async () => ({ connectors: host.connectors() }),
    'gpu.plan': async (intent) => gpu.plan(intent),
    'gpu.apply': ({ plan, summary, origin }) => gpu.apply(plan, origin, summary),
    'gpu.log': async () => ({ entries: await gpu.log() }),
    'gpu.persistence': () => gpu.persistence(),
    'gpu.setReapplyAtStart': ({ enabled }) => gpu.setReapplyAtStart(enabled),
    'vm.list': () => vms.list(),
    'vm.get': ({ id }) => vms.get(id),
    'vm.create': (input) => vms.create(input),
    'vm.update': ({ id, config }) => vms.update(id, config),
    'vm.delete': async ({ id }) => {
      await vms.delete(id);
      return {};
    },
    'vm.start': ({ id }) => vms.start(id),
    'vm.stop': ({ id, timeoutSeconds }) => vms.stop(id, timeoutSeconds),
    'vm.kill': ({ id }) => vms.kill(id),
    'vm.reset': ({ id }) => vms.reset(id),
    'vm.pause': ({ id }) => vms.pause(id),
    'vm.resume': ({ id }) => vms.resume(id),
    'vm.args': async ({ id }) => ({ argv: await vms.args(id) }),
    'vm.screenshot': ({ id }) => vms.screenshot(id),
    'vm.log': async ({ id, lines }) => ({ lines: await vms.log(id, lines) }),
    'vm.waitSerial': ({ id, text, timeoutSeconds }) => vms.waitSerial(id, text, timeoutSeconds),
    'console.open': ({ id, kind }) => consoles.open(id, kind),
    'vm.thumbnail': ({ id, maxWidth }) => thumbnails.thumbnail(id, maxWidth),
    'terminal.open': (request) => consoles.openTerminal(request),
    'disk.create': (request) =>
      createDisk(request, {
        qemuImg: host.qemuImg(),
        ownDir: paths.dataDir,
        onProgress: (percent) => domainEvents.emit('disk.progress', { path: request.path, percent }),
      }),
    'fs.stat': ({ path }) => pathInfo(path),
    'settings.get': () => settings.get(),
    'settings.update': (patch) => settings.update(patch),
    'vm.export': (request) => exports.exportVms(request),
    'vm.import': async ({ source, name }) => exports.importVm(source, name),
    'run.start': ({ vm, plan, label }) => runs.start(vm, plan, label),
    'run.wait': ({ id }) => runs.wait(id),
    'run.list': () => runs.list(),
    'run.get': ({ id }) => runs.get(id),
    'run.diff': ({ a, b }) => runs.diff(a, b),
    'run.export': ({ ids, path: file }) => runs.export(ids, file),
    'run.matrixStart': ({ vm, plan, vary, label }) => matrices.start(vm, plan, vary, label),
    'run.matrixWait': ({ id }) => matrices.wait(id),
    'run.matrixList': () => matrices.list(),
    'run.matrixGet': ({ id }) => matrices.get(id),
    // ---- golden images and booth resets (issue 11) ----
    'image.list': async () => ({ images: await images.listImages() }),
    'image.add': ({ path, name }) => images.addImage(path, name),
    'image.verify': ({ name, version }) => images.verifyImage(name, version),
    'image.delete': async ({ name, version }) => {
      await images.deleteImage(name, version);
      return {};
    },
    'vm.golden': async (request) =>
      'off' in request
        ? { status: null, ...(await images.setGoldenOff(request.id)) }
        : { status: await images.setGolden(request.id, request.image, request.readyText ?? null) },
    'booth.status': async () => ({ vms: await images.statusAll() }),
    'vm.resetToGolden': ({ id, mode }) => images.reset(id, mode),
    'vm.markReady': ({ id }) => images.markReady(id),
    'vm.promote': ({ id }) => images.promote(id),
    'booth.resetAll': ({ mode }) => images.resetAll(mode),
    'vm.resetSchedule': ({ id, schedule }) => images.setSchedule(id, schedule),
    'kiosk.monitors': () => kiosk.monitors(),
    'kiosk.get': () => kiosk.get(),
    'kiosk.assign': (assignment) => kiosk.assign(assignment),
    'kiosk.unassign': ({ monitor }) => kiosk.unassign(monitor),
    'kiosk.start': ({ waitSeconds }) => kiosk.start(waitSeconds),
    'kiosk.stop': ({ stopVms }) => kiosk.stop(stopVms),
    'kiosk.status': () => kiosk.status(),
    'kiosk.autostart': ({ enabled }) => kiosk.setAutostart(enabled),
    // USB and input devices (issue 17)
    'usb.list': async () =>
      usb.inventory(
        (await vms.list()).vms.map((v) => v.spec),
        usbHolders(paths.runtimeDir),
      ),
    'vm.usbAttach': ({ id, device }) => vms.usbAttach(id, device),
    'vm.usbDetach': ({ id, device }) => vms.usbDetach(id, device),
  };
  const dispatcher = createDispatcher(handlers, {
    validateOutputs: options.validateOutputs ?? false,
    onInternalError: (method, error) => console.error(`tessera: ${method} failed unexpectedly:`, error),
  });

  return {
    paths,
    dispatcher,
    events,
    vms,
    host,
    gpu,
    consoles,
    runs,
    images,
    kiosk,
    async close() {
      kiosk.close();
      runs.close();
      images.close();
      consoles.close();
      await thumbnails.close();
      await vms.close();
    },
  };
}
