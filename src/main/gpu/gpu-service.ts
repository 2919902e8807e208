import type { GpuInventory, HostIdentity } from '../../shared/gpu-inventory';
import type { HostRoot } from '../fsutil/host-root';
import { readGpuInventory } from './inventory';

/** The gpu domain's one service: what other domains and the contract handlers use. */
export interface GpuService {
  /** Read afresh every time: VFs come and go with writes to sysfs. */
  inventory(): GpuInventory;
}

export function createGpuService(root: HostRoot, host: HostIdentity): GpuService {
  return { inventory: () => readGpuInventory(root, host) };
}
