import { createStore, type StoreApi } from 'zustand';
import type { CallOutput } from '../../../shared/contract';
import type { GoldenStatus, ImageInfo, ResetMode } from '../../../shared/images';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

type Outcome = CallOutput<'vm.resetToGolden'>;

export interface BoothStoreState {
  /** Null until image.list answers, so "no images yet" is never a guess. */
  images: ImageInfo[] | null;
  /** Each VM on a golden image, by id. */
  status: Partial<Record<string, GoldenStatus>>;
  /** How far an add, verify or promote of an image has got. */
  progress: Partial<Record<string, { operation: string; percent: number }>>;
  /** What the user is told last: how a reset went, or why an action failed. */
  notice: { kind: 'info' | 'error'; text: string } | null;
  /** Actions in flight, by VM id or image name. */
  pending: Partial<Record<string, string>>;
  refresh(): Promise<void>;
  addImage(path: string, name: string | undefined): Promise<boolean>;
  verify(name: string): Promise<void>;
  deleteVersion(name: string, version: number): Promise<void>;
  setGolden(id: string, image: string, readyText: string | undefined): Promise<void>;
  goldenOff(id: string): Promise<void>;
  setSchedule(id: string, schedule: string): Promise<boolean>;
  resetToGolden(id: string, mode?: ResetMode): Promise<void>;
  resetAll(): Promise<void>;
  markReady(id: string): Promise<void>;
  promote(id: string): Promise<void>;
}

export function describeOutcome(o: Outcome): string {
  return `${o.id} was reset ${o.mode} in ${(o.elapsedMs / 1000).toFixed(1)} s (${o.reason})`;
}

/** Golden images and booth resets (issue 11), fed by image.list / booth.status and their events. */
export function createBoothStore(connection: Connection): StoreApi<BoothStoreState> {
  const store = createStore<BoothStoreState>()((set, get) => {
    /** Run one action; never rejects: the outcome or the failure lands in `notice`. */
    const act = async <T>(key: string, what: string, call: () => Promise<T>, told?: (value: T) => string) => {
      set((s) => ({ pending: { ...s.pending, [key]: what } }));
      try {
        const value = await call();
        set({ notice: told ? { kind: 'info', text: told(value) } : get().notice });
        return true;
      } catch (error) {
        set({ notice: { kind: 'error', text: `Could not ${what}: ${messageOf(error)}` } });
        return false;
      } finally {
        set((s) => ({ pending: Object.fromEntries(Object.entries(s.pending).filter(([k]) => k !== key)) }));
        void get().refresh();
      }
    };
    return {
      images: null,
      status: {},
      progress: {},
      notice: null,
      pending: {},
      async refresh() {
        try {
          const [{ images }, { vms }] = await Promise.all([
            connection.call('image.list', {}),
            connection.call('booth.status', {}),
          ]);
          set({ images, status: Object.fromEntries(vms.map((s) => [s.id, s])) });
        } catch (error) {
          set({ notice: { kind: 'error', text: `Could not read the golden images: ${messageOf(error)}` } });
        }
      },
      addImage: (path, name) =>
        act(
          `image:${name ?? path}`,
          `add ${path}`,
          () => connection.call('image.add', { path, ...(name ? { name } : {}) }),
          (image) => `Added golden image ${image.name}`,
        ),
      async verify(name) {
        await act(
          `image:${name}`,
          `verify ${name}`,
          () => connection.call('image.verify', { name }),
          (r) =>
            r.ok
              ? `${name}: every version matches its SHA-256`
              : `${name} CHANGED: ${r.results.find((x) => !x.ok)?.reason ?? ''}`,
        );
      },
      async deleteVersion(name, version) {
        await act(
          `image:${name}`,
          `delete ${name} v${version}`,
          () => connection.call('image.delete', { name, version }),
          () => `Deleted ${name} v${version}`,
        );
      },
      async setGolden(id, image, readyText) {
        await act(
          id,
          `put ${id} on ${image}`,
          () => connection.call('vm.golden', { id, image, ...(readyText ? { readyText } : {}) }),
          () => `${id} now runs on an overlay of ${image}`,
        );
      },
      async goldenOff(id) {
        await act(
          id,
          `take ${id} off its golden image`,
          () => connection.call('vm.golden', { id, off: true }),
          (r) => `${id} runs on a plain disk again: ${r.disk ?? ''}`,
        );
      },
      setSchedule: (id, schedule) =>
        act(id, `set the reset schedule of ${id}`, () =>
          connection.call('vm.resetSchedule', { id, schedule }),
        ),
      async resetToGolden(id, mode) {
        await act(
          id,
          `reset ${id}`,
          () => connection.call('vm.resetToGolden', { id, ...(mode ? { mode } : {}) }),
          describeOutcome,
        );
      },
      async resetAll() {
        await act(
          'booth',
          'reset every booth VM',
          () => connection.call('booth.resetAll', {}),
          (r) =>
            r.results.map((x) => ('error' in x ? `${x.id}: ${x.error}` : describeOutcome(x))).join('; ') ||
            'No VM is on a golden image',
        );
      },
      async markReady(id) {
        await act(
          id,
          `take the ready snapshot of ${id}`,
          () => connection.call('vm.markReady', { id }),
          () => `Ready snapshot of ${id} taken: warm resets load it`,
        );
      },
      async promote(id) {
        await act(
          id,
          `promote ${id}`,
          () => connection.call('vm.promote', { id }),
          (r) => `${r.image.name} v${r.version} made from ${id}; VMs move to it at their next reset`,
        );
      },
    };
  });
  connection.on('booth.changed', ({ id, status }) =>
    store.setState((s) => ({
      status: status
        ? { ...s.status, [id]: status }
        : Object.fromEntries(Object.entries(s.status).filter(([k]) => k !== id)),
    })),
  );
  connection.on('image.changed', () => void store.getState().refresh());
  connection.on('image.progress', ({ name, operation, percent }) =>
    store.setState((s) => ({
      progress: { ...s.progress, [name]: percent >= 100 ? undefined : { operation, percent } },
    })),
  );
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
}
