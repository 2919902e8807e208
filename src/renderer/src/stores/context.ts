import { createContext, useContext } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { Connection } from '../transport/connect';
import { createConsoleStore, type ConsoleStoreState } from './console-store';
import { createFilesStore, type FilesStoreState } from './files-store';
import { createGpuStore, type GpuStoreState } from './gpu-store';
import { createHostStore, type HostStoreState } from './host-store';
import { createSettingsStore, type SettingsStoreState } from './settings-store';
import { createThumbnailStore, type ThumbnailStoreState } from './thumbnail-store';
import { createVmStore, type VmStoreState } from './vm-store';
import { createExportStore, type ExportStoreState } from './export-store';
import { createRunsStore, type RunsStoreState } from './runs-store';
import { createBoothStore, type BoothStoreState } from './booth-store';
import { createKioskStore, type KioskStoreState } from './kiosk-store';

/** One small store per domain, all fed by one connection. */
export interface Stores {
  vms: StoreApi<VmStoreState>;
  settings: StoreApi<SettingsStoreState>;
  thumbnails: StoreApi<ThumbnailStoreState>;
  consoles: StoreApi<ConsoleStoreState>;
  files: StoreApi<FilesStoreState>;
  host: StoreApi<HostStoreState>;
  gpu: StoreApi<GpuStoreState>;
  exports: StoreApi<ExportStoreState>;
  runs: StoreApi<RunsStoreState>;
  booth: StoreApi<BoothStoreState>;
  kiosk: StoreApi<KioskStoreState>;
}

export function createStores(connection: Connection): Stores {
  return {
    vms: createVmStore(connection),
    settings: createSettingsStore(connection),
    thumbnails: createThumbnailStore(connection),
    consoles: createConsoleStore(connection),
    files: createFilesStore(connection),
    host: createHostStore(connection),
    gpu: createGpuStore(connection),
    exports: createExportStore(connection),
    runs: createRunsStore(connection),
    booth: createBoothStore(connection),
    kiosk: createKioskStore(connection),
  };
}

export const StoresContext = createContext<Stores | null>(null);

function useStores(): Stores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('store hooks need a StoresContext provider');
  return stores;
}

export function useVmStore<T>(selector: (state: VmStoreState) => T): T {
  return useStore(useStores().vms, selector);
}
export function useSettingsStore<T>(selector: (state: SettingsStoreState) => T): T {
  return useStore(useStores().settings, selector);
}
export function useThumbnailStore<T>(selector: (state: ThumbnailStoreState) => T): T {
  return useStore(useStores().thumbnails, selector);
}
export function useConsoleStore<T>(selector: (state: ConsoleStoreState) => T): T {
  return useStore(useStores().consoles, selector);
}
export function useFilesStore<T>(selector: (state: FilesStoreState) => T): T {
  return useStore(useStores().files, selector);
}
export function useHostStore<T>(selector: (state: HostStoreState) => T): T {
  return useStore(useStores().host, selector);
}
export function useGpuStore<T>(selector: (state: GpuStoreState) => T): T {
  return useStore(useStores().gpu, selector);
}
export function useExportStore<T>(selector: (state: ExportStoreState) => T): T {
  return useStore(useStores().exports, selector);
}
export function useRunsStore<T>(selector: (state: RunsStoreState) => T): T {
  return useStore(useStores().runs, selector);
}
export function useBoothStore<T>(selector: (state: BoothStoreState) => T): T {
  return useStore(useStores().booth, selector);
}
export function useKioskStore<T>(selector: (state: KioskStoreState) => T): T {
  return useStore(useStores().kiosk, selector);
}
