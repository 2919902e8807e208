import { createStore, type StoreApi } from 'zustand';
import type { GpuInventory } from '../../../shared/gpu-inventory';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

export interface GpuStoreState {
  /** Null until gpu.list answers. */
  inventory: GpuInventory | null;
  loading: boolean;
  error: string | null;
  /** The function shown in the details panel: a PCI address or an mdev UUID. */
  selected: string | null;
  refresh(): Promise<void>;
  select(id: string): void;
}

/** The GPU page's state: the inventory and which function is selected. */
export function createGpuStore(connection: Connection): StoreApi<GpuStoreState> {
  const store = createStore<GpuStoreState>()((set) => ({
    inventory: null,
    loading: false,
    error: null,
    selected: null,
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
  }));
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
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
