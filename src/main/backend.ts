import os from 'node:os';
import path from 'node:path';
import { createDispatcher, EventBus, type Dispatcher, type Handlers } from './rpc/dispatcher';
import { defaultPaths, type TesseraPaths } from './paths';
import { createHostService, type HostOptions, type HostService } from './host/host-service';
import { chooseHostRoot, type HostRootOptions } from './host-root-option';
import { ChangeLog } from './gpu/change-log';
import { createGpuService, type GpuService } from './gpu/gpu-service';
import { createHelperClient, type HelperClient } from './gpu/helper-client';
import { LayoutStore } from './gpu/layout-store';
import { VmStore } from './vm/vm-store';
import { signOfLifeMs, VmService, type VmHost } from './vm/vm-service';
import { helperGpuLeases } from './vm/gpu-leases';
import { ConsoleService } from './console/console-service';
import { ThumbnailService } from './console/thumbnail-service';
import { pathInfo } from './host/path-info';
import { SettingsService } from './settings/settings-service';
import { createDisk } from './vm/disk-create';

export interface BackendOptions extends HostOptions, HostRootOptions {
  paths?: Partial<TesseraPaths>;
  /** Check every handler's result against the contract (tests turn this on). */
  validateOutputs?: boolean;
  /** Do not look for running VMs to re-attach (one-shot CLI commands that only read). */
  skipReattach?: boolean;
  /** How GPU plans reach the host; by default pkexec on `/` and the bundled helper on other roots. */
  helper?: HelperClient;
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
  /** Stop serving; VMs keep running. */
  close(): Promise<void>;
}

/** The composition root: every domain service built once, wired to one dispatcher. */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const paths: TesseraPaths = { ...defaultPaths(env), ...options.paths };
  const events = new EventBus();
  const hostRoot = chooseHostRoot(options, env, paths.dataDir);
  const host = createHostService({ ...options, env }, hostRoot, paths.cacheDir);
  const gpu = createGpuService({
    root: hostRoot.root,
    host: hostRoot.identity,
    helper: options.helper ?? createHelperClient({ hostRoot: hostRoot.identity.root }),
    changes: ChangeLog.inDataDir(paths.dataDir),
    layouts: LayoutStore.inConfigDir(paths.configDir),
    events,
    holders: () => leases.holders(),
  });
  const vmHost: VmHost = {
    accelerator: () => host.accelerator(),
    qemuBinary: () => host.qemuBinary(),
    ovmf: (secureBoot) => host.ovmf(secureBoot),
    qemuCapabilities: () => host.qemuCapabilities(),
    swtpm: () => host.swtpm(),
    vmFacts: async () => ({
      inventory: gpu.inventory(),
      connectors: host.connectors(),
      hugepages: host.hugepagePools(),
      hostCpus: os.availableParallelism(),
      swtpm: host.swtpm(),
      // Without QEMU the start says so; a definition can still be written.
      capabilities: await host.qemuCapabilities().catch(() => null),
    }),
  };
  const leases = helperGpuLeases({
    gpu,
    runtimeDir: paths.runtimeDir,
    // Any root but `/` is not this machine's hardware: QEMU cannot open its devices.
    simulated: path.resolve(hostRoot.identity.root) !== '/',
    memlockFor: (guestMiB) => host.memlockFor(guestMiB),
  });
  const vms = new VmService(new VmStore(paths.configDir), paths, vmHost, events, leases, {
    signOfLifeMs: options.signOfLifeMs ?? signOfLifeMs(env),
  });
  const consoles = new ConsoleService({ paths, vms, bus: events, env });
  const thumbnails = new ThumbnailService({ paths, vms, bus: events });
  const settings = new SettingsService(paths.configDir, events);
  if (!options.skipReattach) await vms.reattach();

  const handlers: Handlers = {
    'host.info': async () => ({
      ...(await host.info()),
      ...paths,
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
        onProgress: (percent) => events.emit('disk.progress', { path: request.path, percent }),
      }),
    'fs.stat': ({ path }) => pathInfo(path),
    'settings.get': () => settings.get(),
    'settings.update': (patch) => settings.update(patch),
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
    async close() {
      consoles.close();
      await thumbnails.close();
      vms.close();
    },
  };
}
