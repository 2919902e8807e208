import type { GpuLeaseInfo, VmSpec } from '../../shared/vm-spec';
import type { GpuPlacement } from './gpu-placement';

/**
 * How a VM gets its GPU for one run, and gives it back. The VM service calls `attach` after its
 * checks and right before QEMU spawns, `detach` once QEMU is gone (stopped, crashed, or failed
 * to start).
 *
 * The lease manager (gpu-leases.ts) implements this: `attach` takes a VF under one lock across
 * VMs ("any free VF" picks one no lease holds), binds it to vfio-pci and grants /dev/vfio/<group>
 * in one helper call, creates the vGPU for an mdev guest, and records the lease in the VM's
 * runtime dir; it leaves nothing held when it throws. `detach` undoes exactly what the lease
 * records and is idempotent. A restarted backend finds held devices from the lease files alone.
 */
export interface GpuAttachment {
  attach(spec: VmSpec, runtimeDir: string): Promise<GpuPlacement>;
  detach(spec: VmSpec, runtimeDir: string): Promise<void>;
  /** Where the GPU would be if the VM started now, holding nothing: for `vm args`. */
  preview(spec: VmSpec): GpuPlacement;
  /** What the VM holds now, from its runtime dir; null when nothing. */
  held(spec: VmSpec, runtimeDir: string): GpuLeaseInfo | null;
}
