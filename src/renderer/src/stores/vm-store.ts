import { createContext, useContext } from 'react';
import { createStore, useStore, type StoreApi } from 'zustand';
import type { CallOutput } from '../../../shared/contract';
import type { InvalidDefinition, VmInfo } from '../../../shared/vm-spec';
import type { Connection, ConnectionStatus } from '../transport/connect';

export type HostInfo = CallOutput<'host.info'>;
export type VmAction = 'start' | 'stop' | 'kill';
export interface ActionError {
  action: VmAction;
  message: string;
}

export interface VmStoreState {
  connection: ConnectionStatus;
  host: HostInfo | null;
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
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
 * only callers of the backend and never reject: failures land in `errors` for the card to show.
 */
export function createVmStore(connection: Connection): StoreApi<VmStoreState> {
  const store = createStore<VmStoreState>()((set, get) => {
    const runAction = async (id: string, action: VmAction, call: () => Promise<VmInfo>) => {
      set((s) => ({ busy: { ...s.busy, [id]: action }, errors: without(s.errors, id) }));
      try {
        const vm = await call();
        set((s) => ({ vms: upsert(s.vms, vm) }));
      } catch (error) {
        // A stop overtaken by a kill may fail for that reason; only the current action may complain.
        if (get().busy[id] === action) {
          set((s) => ({ errors: { ...s.errors, [id]: { action, message: messageOf(error) } } }));
        }
      } finally {
        if (get().busy[id] === action) set((s) => ({ busy: without(s.busy, id) }));
      }
    };

    return {
      connection: connection.status,
      host: null,
      vms: null,
      invalid: [],
      loadError: null,
      busy: {},
      errors: {},
      async refresh() {
        const [host, list] = await Promise.allSettled([
          connection.call('host.info', {}),
          connection.call('vm.list', {}),
        ]);
        const failures = [host, list].flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
        set((s) => ({
          host: host.status === 'fulfilled' ? host.value : s.host,
          vms:
            list.status === 'fulfilled'
              ? [...list.value.vms].sort((a, b) => a.id.localeCompare(b.id))
              : s.vms,
          invalid: list.status === 'fulfilled' ? list.value.invalid : s.invalid,
          loadError: failures.length > 0 ? failures.join('; ') : null,
        }));
      },
      start: (id) => runAction(id, 'start', () => connection.call('vm.start', { id })),
      stop: (id) => runAction(id, 'stop', () => connection.call('vm.stop', { id })),
      kill: (id) => runAction(id, 'kill', () => connection.call('vm.kill', { id })),
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
  // Events missed while disconnected are gone, so every (re)connection starts from a fresh list.
  connection.onStatus((status) => {
    store.setState({ connection: status });
    if (status === 'connected') void store.getState().refresh();
  });
  if (connection.status === 'connected') void store.getState().refresh();
  return store;
}

export const VmStoreContext = createContext<StoreApi<VmStoreState> | null>(null);

export function useVmStore<T>(selector: (state: VmStoreState) => T): T {
  const store = useContext(VmStoreContext);
  if (!store) throw new Error('useVmStore needs a VmStoreContext provider');
  return useStore(store, selector);
}
