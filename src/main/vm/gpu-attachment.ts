import { TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { VmSpec } from '../../shared/vm-spec';
import { resolveGpuPlacement, type GpuPlacement } from './gpu-placement';

/**
 * How a VM gets its GPU for one run, and gives it back. The VM service calls `attach` after its
 * checks and right before QEMU spawns, `detach` once QEMU is gone (stopped, crashed, or failed
 * to start), and `recover` for each VM a restarted backend finds running.
 *
 * The lease manager (the start/stop sequence through the privileged helper) implements this:
 * `attach` takes a VF under one lock across VMs ("any free VF" picks one no lease holds), binds
 * it to vfio-pci, grants /dev/vfio/<group> and raises the locked-memory limit in one helper
 * call, creates the vGPU for an mdev guest, and records the lease in the VM's runtime dir; it
 * leaves nothing held when it throws. `detach` undoes exactly what the lease records and is
 * idempotent. `recover` re-reads the lease file so the VF stays held (and `usedBy` names the VM).
 */
export interface GpuAttachment {
  attach(spec: VmSpec, runtimeDir: string): Promise<GpuPlacement>;
  detach(spec: VmSpec, runtimeDir: string): Promise<void>;
  recover(spec: VmSpec, runtimeDir: string): Promise<void>;
  /** Where the GPU would be if the VM started now, holding nothing: for `vm args`. */
  preview(spec: VmSpec): GpuPlacement;
}

const NEEDS_LEASE = { vf: 'an SR-IOV VF', mdev: 'a GVT-g vGPU', passthrough: 'the whole GPU' } as const;

/**
 * Emulated GPUs only: they need nothing from the host but a render node to name. A VM with a
 * GPU slice is refused at start until the lease manager takes this one's place; its command
 * line is already what `vm args` prints.
 */
export function emulatedGpuAttachment(inventory: () => GpuInventory): GpuAttachment {
  const preview = (spec: VmSpec) => resolveGpuPlacement(spec, inventory());
  return {
    preview,
    async attach(spec) {
      const kind = spec.gpu.kind;
      if (kind === 'vf' || kind === 'mdev' || kind === 'passthrough') {
        throw new TesseraError(
          'UNAVAILABLE',
          `VM '${spec.name}' uses ${NEEDS_LEASE[kind]}, and this Tessera cannot yet prepare the GPU for a VM at start: \`tessera vm args ${spec.name}\` shows the command line it will run`,
        );
      }
      return preview(spec);
    },
    async detach() {
      // Nothing was held.
    },
    async recover() {
      // Nothing to take back.
    },
  };
}
