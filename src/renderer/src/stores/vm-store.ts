import { createStore, type StoreApi } from 'zustand';
import type { InvalidDefinition, VmConfig, VmInfo } from '../../../shared/vm-spec';
import type { Connection, ConnectionStatus } from '../transport/connect';
import { failureOf, messageOf, type Failure } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

export type VmAction = 'start' | 'stop' | 'kill' | 'reset' | 'pause' | 'resume' | 'delete' | 'usb';
export interface ActionError {
  action: VmAction;
  message: string;
}

/** What saving the editor's form came to: the saved VM, or the failure to show at its fields. */
export type SaveResult = { ok: true; vm: VmInfo } | { ok: false; failure: Failure };

export interface VmStoreState {
  connection: ConnectionStatus;
  /** Sorted by id; null until the first vm.list answer, so "no VMs yet" is never a guess. */
  vms: VmInfo[] | null;
  invalid: InvalidDefinition[];
  /** Why the last refresh failed, if it did. */
  loadError: string | null;
  /** The action in flight per VM; a later one (kill during a slow stop) replaces it. */
  busy: Partial<Record<string, VmAction>>;
  /** The last failed action per VM, shown on its card until the next action. */
  errors: Partial<Record<string, ActionError>>;
  refresh(): Promise<void>;
  start(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  kill(id: string): Promise<void>;
  reset(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  create(name: string, config: VmConfig): Promise<SaveResult>;
  update(id: string, config: VmConfig): Promise<SaveResult>;
  /** Plug a host USB device into a running VM, or out of it (console header). */
  usbAttach(id: string, device: string): Promise<void>;
  usbDetach(id: string, device: string): Promise<void>;
}

function upsert(vms: VmInfo[] | null, vm: VmInfo): VmInfo[] | null {
  // Before the first list an event cannot tell us the rest; refresh() will bring everything.
  if (vms === null) return null;
  const rest = vms.filter((v) => v.id !== vm.id);
  return [...rest, vm].sort((a, b) => a.id.localeCompare(b.id));
}

function without<T>(record: Partial<Record<string, T>>, key: string): Partial<Record<string, T>> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key)) as Partial<Record<string, T>>;
}

/**
 * The VM gallery's state, fed by vm.list and kept live by vm.changed / vm.removed. Actions are the
 * only callers of the backend and never reject: failures land in `errors` for the card to show,
 * or in the SaveResult for the editor.
 */
export function createVmStore(connection: Connection): StoreApi<VmStoreState> {
  const store = createStore<VmStoreState>()((set, get) => {
    const runAction = async (id: string, action: VmAction, call: () => Promise<VmInfo | null>) => {
      set((s) => ({ busy: { ...s.busy, [id]: action }, errors: without(s.errors, id) }));
      try {
        const vm = await call();
        set((s) => ({ vms: vm ? upsert(s.vms, vm) : (s.vms?.filter((v) => v.id !== id) ?? null) }));
      } catch (error) {
        // A stop overtaken by a kill may fail for that reason; only the current action may complain.
        if (get().busy[id] === action) {
          set((s) => ({ errors: { ...s.errors, [id]: { action, message: messageOf(error) } } }));
        }
      } finally {
        if (get().busy[id] === action) set((s) => ({ busy: without(s.busy, id) }));
      }
    };
    const save = async (call: () => Promise<VmInfo>): Promise<SaveResult> => {
      try {
        const vm = await call();
        set((s) => ({ vms: upsert(s.vms, vm) }));
        return { ok: true, vm };
      } catch (error) {
        return { ok: false, failure: failureOf(error) };
      }
    };

    return {
      connection: connection.status,
      vms: null,
      invalid: [],
      loadError: null,
      busy: {},
      errors: {},
      async refresh() {
        try {
          const list = await connection.call('vm.list', {});
          set({
            vms: [...list.vms].sort((a, b) => a.id.localeCompare(b.id)),
            invalid: list.invalid,
            loadError: null,
          });
        } catch (error) {
          set({ loadError: messageOf(error) });
        }
      },
      start: (id) => runAction(id, 'start', () => connection.call('vm.start', { id })),
      stop: (id) => runAction(id, 'stop', () => connection.call('vm.stop', { id })),
      kill: (id) => runAction(id, 'kill', () => connection.call('vm.kill', { id })),
      reset: (id) => runAction(id, 'reset', () => connection.call('vm.reset', { id })),
      pause: (id) => runAction(id, 'pause', () => connection.call('vm.pause', { id })),
      resume: (id) => runAction(id, 'resume', () => connection.call('vm.resume', { id })),
      usbAttach: (id, device) => runAction(id, 'usb', () => connection.call('vm.usbAttach', { id, device })),
      usbDetach: (id, device) => runAction(id, 'usb', () => connection.call('vm.usbDetach', { id, device })),
      remove: (id) =>
        runAction(id, 'delete', async () => {
          await connection.call('vm.delete', { id });
          return null;
        }),
      create: (name, config) => save(() => connection.call('vm.create', { ...config, name })),
      update: (id, config) => save(() => connection.call('vm.update', { id, config })),
    };
  });

  connection.on('vm.changed', ({ vm }) => store.setState((s) => ({ vms: upsert(s.vms, vm) })));
  connection.on('vm.removed', ({ id }) =>
    store.setState((s) => ({
      vms: s.vms?.filter((v) => v.id !== id) ?? null,
      busy: without(s.busy, id),
      errors: without(s.errors, id),
    })),
  );
  connection.onStatus((status) => store.setState({ connection: status }));
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
}
