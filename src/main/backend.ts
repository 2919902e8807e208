import { TesseraError } from '../shared/errors';
import { createDispatcher, EventBus, type Dispatcher, type Handlers } from './rpc/dispatcher';
import { defaultPaths, type TesseraPaths } from './paths';
import { createHostService, type HostOptions, type HostService } from './host/host-service';
import { VmStore } from './vm/vm-store';
import { VmService } from './vm/vm-service';
import { ConsoleService } from './console/console-service';

export interface BackendOptions extends HostOptions {
  paths?: Partial<TesseraPaths>;
  /** Check every handler's result against the contract (tests turn this on). */
  validateOutputs?: boolean;
  /** Do not look for running VMs to re-attach (one-shot CLI commands that only read). */
  skipReattach?: boolean;
}

export interface Backend {
  readonly paths: TesseraPaths;
  readonly dispatcher: Dispatcher;
  readonly events: EventBus;
  readonly vms: VmService;
  readonly host: HostService;
  readonly consoles: ConsoleService;
  /** Stop serving; VMs keep running. */
  close(): Promise<void>;
}

// Temporary, so the contract type-checks while the handlers are built; removed before the issue closes.
function notYet(method: string): Promise<never> {
  return Promise.reject(new TesseraError('UNAVAILABLE', `${method} is not built yet`));
}

/** The composition root: every domain service built once, wired to one dispatcher. */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const paths: TesseraPaths = { ...defaultPaths(env), ...options.paths };
  const events = new EventBus();
  const host = createHostService({ ...options, env });
  const vms = new VmService(new VmStore(paths.configDir), paths, host, events);
  const consoles = new ConsoleService({ paths, vms, bus: events, env });
  if (!options.skipReattach) await vms.reattach();

  const handlers: Handlers = {
    'host.info': async () => ({ ...(await host.info()), ...paths, backendPid: process.pid }),
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
    'vm.thumbnail': () => notYet('vm.thumbnail'),
    'terminal.open': (request) => consoles.openTerminal(request),
    'disk.create': () => notYet('disk.create'),
    'fs.stat': () => notYet('fs.stat'),
    'settings.get': () => notYet('settings.get'),
    'settings.update': () => notYet('settings.update'),
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
    consoles,
    async close() {
      consoles.close();
      vms.close();
    },
  };
}
