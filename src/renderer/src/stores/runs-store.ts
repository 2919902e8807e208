import { createStore, type StoreApi } from 'zustand';
import type { MatrixRecord } from '../../../shared/run-matrix';
import type { RunDiff, RunSummary } from '../../../shared/run-record';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

export interface RunsStoreState {
  runs: RunSummary[];
  invalid: { id: string; reason: string }[];
  loading: boolean;
  error: string | null;
  /** The two runs picked for the side-by-side diff, in the order picked. */
  picked: string[];
  diff: RunDiff | null;
  diffError: string | null;
  /** Run matrices, newest first, each with its cells' runs. */
  matrices: MatrixRecord[];
  /** The run a matrix cell was followed to: its row is scrolled to and marked. */
  shown: string | null;
  show(id: string): void;
  refresh(): Promise<void>;
  pick(id: string): void;
  /** Starts a run; resolves with its id, or rejects with the backend's message (a plan's line and field). */
  start(input: { vm: string; planPath: string; label: string }): Promise<string>;
}

/** The Runs page's state, fed by run.changed events. */
export function createRunsStore(connection: Connection): StoreApi<RunsStoreState> {
  const store = createStore<RunsStoreState>()((set, get) => ({
    runs: [],
    invalid: [],
    loading: false,
    error: null,
    picked: [],
    diff: null,
    diffError: null,
    matrices: [],
    shown: null,
    show(id) {
      set({ shown: id });
    },
    async refresh() {
      set({ loading: true });
      try {
        const [{ runs, invalid }, { matrices, invalid: badMatrices }] = await Promise.all([
          connection.call('run.list', {}),
          connection.call('run.matrixList', {}),
        ]);
        set({
          runs,
          invalid: [...invalid, ...badMatrices.map((m) => ({ ...m, id: `matrix ${m.id}` }))],
          matrices,
          loading: false,
          error: null,
        });
      } catch (error) {
        set({ loading: false, error: messageOf(error) });
      }
    },
    pick(id) {
      const picked = get().picked.includes(id)
        ? get().picked.filter((p) => p !== id)
        : [...get().picked, id].slice(-2);
      set({ picked, diff: null, diffError: null });
      const [a, b] = picked;
      if (a === undefined || b === undefined) return;
      connection.call('run.diff', { a, b }).then(
        (diff) => {
          if (get().picked.join() === picked.join()) set({ diff });
        },
        (error: unknown) => set({ diffError: messageOf(error) }),
      );
    },
    async start({ vm, planPath, label }) {
      const { id } = await connection.call('run.start', {
        vm,
        plan: { path: planPath },
        label: label.trim() === '' ? null : label.trim(),
      });
      void get().refresh();
      return id;
    },
  }));
  connection.on('run.changed', ({ run }) => {
    const runs = store.getState().runs;
    const at = runs.findIndex((r) => r.id === run.id);
    store.setState({ runs: at >= 0 ? runs.map((r) => (r.id === run.id ? run : r)) : [run, ...runs] });
  });
  connection.on('run.matrixChanged', ({ id }) => {
    connection.call('run.matrixGet', { id }).then(
      (matrix) => {
        const matrices = store.getState().matrices;
        store.setState({
          matrices: matrices.some((m) => m.id === id)
            ? matrices.map((m) => (m.id === id ? matrix : m))
            : [matrix, ...matrices],
        });
      },
      () => undefined, // the next refresh shows it, or says why it cannot be read
    );
  });
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
}
