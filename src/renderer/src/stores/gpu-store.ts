import { createStore, type StoreApi } from 'zustand';
import type { GpuInventory } from '../../../shared/gpu-inventory';
import type {
  ChangeLogEntry,
  GpuIntent,
  GpuPersistence,
  PlanPreview,
  VfShare,
} from '../../../shared/gpu-plan';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { coalesced } from './coalesced';
import { refreshOnConnect } from './refresh-on-connect';

/** A change waiting for the user's yes: the diff the backend computed, for one GPU. */
export interface Review {
  pf: string;
  preview: PlanPreview;
}

export type BindChoice = 'vfio-pci' | 'host' | 'keep';

/** A layout the user is editing on the GPU page (features/gpu/layout-draft.ts works on it). */
export interface LayoutDraft {
  pf: string;
  vfCount: number;
  shares: VfShare[];
  bind: BindChoice;
}

export interface GpuStoreState {
  /** Null until gpu.list answers. */
  inventory: GpuInventory | null;
  loading: boolean;
  error: string | null;
  /** The function shown in the details panel: a PCI address or an mdev UUID. */
  selected: string | null;
  /** Layouts being edited, by PF; a GPU without one shows its state as it is. */
  drafts: Partial<Record<string, LayoutDraft>>;
  review: Review | null;
  /** `planning` while the backend computes the diff, `applying` while the helper runs. */
  busy: 'planning' | 'applying' | null;
  /** Why the last plan or apply failed, by PF. */
  changeErrors: Partial<Record<string, string>>;
  log: ChangeLogEntry[];
  persistence: GpuPersistence | null;
  refresh(): Promise<void>;
  select(id: string): void;
  edit(pf: string, draft: LayoutDraft | null): void;
  /** Ask the backend for the plan and diff of a change; shown for review when there is something to do. */
  plan(pf: string, intent: GpuIntent): Promise<void>;
  /** Apply the reviewed plan: one prompt on a real host. */
  apply(): Promise<void>;
  cancelReview(): void;
  refreshLog(): Promise<void>;
  setReapplyAtStart(enabled: boolean): Promise<void>;
}

/** The GPU page's state: the inventory, the selection, layouts being edited, the review and the log. */
export function createGpuStore(connection: Connection): StoreApi<GpuStoreState> {
  const failed = (pf: string, error: unknown) =>
    store.setState((s) => ({ busy: null, changeErrors: { ...s.changeErrors, [pf]: messageOf(error) } }));
  const store = createStore<GpuStoreState>()((set, get) => ({
    inventory: null,
    loading: false,
    error: null,
    selected: null,
    drafts: {},
    review: null,
    busy: null,
    changeErrors: {},
    log: [],
    persistence: null,
    async refresh() {
      set({ loading: true });
      try {
        const inventory = await connection.call('gpu.list', {});
        // Keep the selection while it still exists; otherwise start at the first GPU.
        set((s) => ({
          inventory,
          loading: false,
          error: null,
          selected:
            s.selected !== null && exists(inventory, s.selected)
              ? s.selected
              : (inventory.gpus[0]?.address ?? null),
        }));
      } catch (error) {
        set({ loading: false, error: messageOf(error) });
      }
    },
    select: (id) => set({ selected: id }),
    edit: (pf, draft) =>
      set((s) => ({
        drafts: { ...s.drafts, [pf]: draft ?? undefined },
        changeErrors: { ...s.changeErrors, [pf]: undefined },
      })),
    async plan(pf, intent) {
      set((s) => ({ busy: 'planning', review: null, changeErrors: { ...s.changeErrors, [pf]: undefined } }));
      try {
        const preview = await connection.call('gpu.plan', intent);
        set({ busy: null, review: { pf, preview } });
      } catch (error) {
        failed(pf, error);
      }
    },
    async apply() {
      const review = get().review;
      if (!review?.preview.plan) return;
      set({ busy: 'applying' });
      try {
        await connection.call('gpu.apply', {
          plan: review.preview.plan,
          summary: review.preview.summary,
          origin: 'gpu-page',
        });
        set((s) => ({ busy: null, review: null, drafts: { ...s.drafts, [review.pf]: undefined } }));
      } catch (error) {
        // One update, so the page sees the review close and why at once.
        set((s) => ({
          busy: null,
          review: null,
          changeErrors: { ...s.changeErrors, [review.pf]: messageOf(error) },
        }));
      }
      await Promise.all([get().refresh(), get().refreshLog()]);
    },
    cancelReview: () => set({ review: null }),
    async refreshLog() {
      try {
        const [{ entries }, persistence] = await Promise.all([
          connection.call('gpu.log', {}),
          connection.call('gpu.persistence', {}),
        ]);
        set({ log: entries, persistence });
      } catch {
        // The page still works without its log; the next change event reads it again.
      }
    },
    async setReapplyAtStart(enabled) {
      const persistence = await connection.call('gpu.setReapplyAtStart', { enabled });
      set({ persistence });
    },
  }));
  const refreshInventory = coalesced(() => store.getState().refresh());
  connection.on('gpu.changed', () => {
    void refreshInventory();
    void store.getState().refreshLog();
  });
  // Which VM holds a VF or vGPU comes from the VMs' leases, which change when a GPU VM starts or
  // stops, from this front or any other (a CLI, a second tab): the inventory says who holds what.
  connection.on('vm.changed', ({ vm }) => {
    if (holdsGpuSlice(vm.spec.gpu.kind) || vm.gpuLease) void refreshInventory();
  });
  connection.on('vm.removed', () => void refreshInventory());
  refreshOnConnect(connection, async () => {
    await Promise.all([store.getState().refresh(), store.getState().refreshLog()]);
  });
  return store;
}

function holdsGpuSlice(kind: string): boolean {
  return kind === 'vf' || kind === 'mdev' || kind === 'passthrough';
}

function exists(inventory: GpuInventory, id: string): boolean {
  return inventory.gpus.some(
    (g) =>
      g.address === id ||
      g.vfs.some((v) => v.address === id) ||
      g.mdevInstances.some((m) => m.uuid === id) ||
      g.mdevTypes.some((t) => `${g.address}/${t.id}` === id),
  );
}
