import { createStore, type StoreApi } from 'zustand';
import type { CallOutput } from '../../../shared/contract';
import type { Connection } from '../transport/connect';

export interface Thumbnail {
  /** A data: URL of the PNG; null when the VM never showed a frame. */
  src: string | null;
  width: number;
  height: number;
  /** False for the last frame of a VM that has stopped since. */
  live: boolean;
  takenAt: string | null;
}

export interface ThumbnailStoreState {
  thumbnails: Partial<Record<string, Thumbnail>>;
  /** Fetch one VM's thumbnail; a call while the previous one is in flight is dropped, not queued. */
  refresh(id: string): Promise<void>;
}

/** Width asked of the backend: a card is at most ~22rem wide, and 2x for high-density screens. */
export const THUMBNAIL_WIDTH = 480;

/**
 * The newest picture of a VM. A VM that just stopped may answer "no picture" while the backend
 * is still saving its last frame; the frame this page already has is that last frame.
 */
export function merge(previous: Thumbnail | undefined, answer: CallOutput<'vm.thumbnail'>): Thumbnail {
  if (answer.pngBase64 === null && previous?.src) return { ...previous, live: false };
  return {
    src: answer.pngBase64 === null ? null : `data:image/png;base64,${answer.pngBase64}`,
    width: answer.width,
    height: answer.height,
    live: answer.live,
    takenAt: answer.takenAt,
  };
}

export function createThumbnailStore(connection: Connection): StoreApi<ThumbnailStoreState> {
  const inFlight = new Set<string>();
  const store = createStore<ThumbnailStoreState>()((set) => ({
    thumbnails: {},
    async refresh(id) {
      if (inFlight.has(id)) return;
      inFlight.add(id);
      try {
        const t = await connection.call('vm.thumbnail', { id, maxWidth: THUMBNAIL_WIDTH });
        set((s) => ({ thumbnails: { ...s.thumbnails, [id]: merge(s.thumbnails[id], t) } }));
      } catch {
        // A thumbnail is decoration: a VM stopping between poll and answer is normal, and the
        // card already shows the VM's state. The last frame stays until a call succeeds.
      } finally {
        inFlight.delete(id);
      }
    },
  }));
  connection.on('vm.removed', ({ id }) =>
    store.setState((s) => ({
      thumbnails: Object.fromEntries(Object.entries(s.thumbnails).filter(([k]) => k !== id)),
    })),
  );
  return store;
}
