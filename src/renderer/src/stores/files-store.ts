import { createStore, type StoreApi } from 'zustand';
import type { CallInput, CallOutput } from '../../../shared/contract';
import type { Connection } from '../transport/connect';
import { failureOf, type Failure } from './failure';

export type PathFacts = CallOutput<'fs.stat'>;
export type NewDisk = CallOutput<'disk.create'>;
export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export interface FilesStoreState {
  /** Percent done of each disk.create in flight, by path. */
  progress: Partial<Record<string, number>>;
  stat(path: string): Promise<Outcome<PathFacts>>;
  createDisk(input: CallInput<'disk.create'>): Promise<Outcome<NewDisk>>;
}

/** Host files as the browser front sees them: typed paths checked by the backend, disks it creates. */
export function createFilesStore(connection: Connection): StoreApi<FilesStoreState> {
  const store = createStore<FilesStoreState>()((set) => ({
    progress: {},
    async stat(path) {
      try {
        return { ok: true, value: await connection.call('fs.stat', { path }) };
      } catch (error) {
        return { ok: false, failure: failureOf(error) };
      }
    },
    async createDisk(input) {
      set((s) => ({ progress: { ...s.progress, [input.path]: 0 } }));
      try {
        return { ok: true, value: await connection.call('disk.create', input) };
      } catch (error) {
        return { ok: false, failure: failureOf(error) };
      } finally {
        set((s) => ({
          progress: Object.fromEntries(Object.entries(s.progress).filter(([k]) => k !== input.path)),
        }));
      }
    },
  }));
  connection.on('disk.progress', ({ path, percent }) =>
    store.setState((s) => (path in s.progress ? { progress: { ...s.progress, [path]: percent } } : s)),
  );
  return store;
}
