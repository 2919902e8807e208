import { TesseraError } from '../../shared/errors';
import type { Gpu, GpuInventory } from '../../shared/gpu-inventory';
import type { VmSpec } from '../../shared/vm-spec';

/**
 * Where a VM's GPU is on this host for one run: the host resources its argv names. The spec
 * says what the VM wants ("any free VF of 0000:00:02.0"); the placement says what it got
 * (`0000:00:02.3`). Resolved when the VM starts (a lease, see gpu-leases.ts), and for
 * `vm args` from the inventory as it is; the argv builder takes it as an input and stays pure.
 */
export type GpuPlacement =
  | { kind: 'none' }
  | { kind: 'std' }
  /** `renderNode`: where GL renders for a remote console (egl-headless); null when the host has none. */
  | { kind: 'virtio'; renderNode: string | null }
  | { kind: 'vf'; address: string; renderNode: string | null }
  | {
      kind: 'mdev';
      uuid: string;
      /** The type's resolution (docs/sriov-sysfs.md#gvt-g-types `description`), for the vGPU's EDID; null when unknown. */
      resolution: { width: number; height: number } | null;
      renderNode: string | null;
    }
  | { kind: 'passthrough'; address: string };

/** What a run holds: the VF picked for "any free VF", the UUID of the vGPU created for it. */
export interface GpuLease {
  vf?: string;
  mdevUuid?: string;
}

const renderNodeOf = (gpu: Gpu | undefined): string | null =>
  gpu?.drmRender ? `/dev/dri/${gpu.drmRender}` : null;

/** `1920x1200` from a GVT-g type's description (docs/sriov-sysfs.md#gvt-g-types). */
export function parseResolution(text: string): { width: number; height: number } | null {
  const match = /^(\d+)x(\d+)$/.exec(text.trim());
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

/**
 * The VF "any free VF" gets: one no VM holds, preferring one already on vfio-pci (nothing to
 * rebind), then one without a driver, and only then one the host's own driver uses; the lowest
 * number among equals. Null when every VF is held.
 */
export function pickFreeVf(pf: Gpu): string | null {
  const rank = (driver: string | null) => (driver === 'vfio-pci' ? 0 : driver === null ? 1 : 2);
  const free = pf.vfs
    .filter((vf) => vf.usedBy === null)
    .sort((a, b) => rank(a.driver) - rank(b.driver) || a.index - b.index);
  return free[0]?.address ?? null;
}

/**
 * The placement of `spec`'s GPU on the host the inventory describes. The spec has been checked
 * against the same inventory (host-validation.ts); what can still fail here is a VF that was free
 * then and is not now.
 *
 * The vGPU of a VM is created with the VM's own UUID, so a restarted backend can tell whose it is
 * from sysfs alone (a lease may name another).
 */
export function resolveGpuPlacement(
  spec: VmSpec,
  inventory: GpuInventory,
  lease: GpuLease = {},
): GpuPlacement {
  const { gpu } = spec;
  const find = (address: string) => inventory.gpus.find((g) => g.address === address);
  switch (gpu.kind) {
    case 'none':
    case 'std':
      return { kind: gpu.kind };
    case 'virtio': {
      // Any render node serves a virtio GPU's GL; an Intel one first, as that is what Tessera is for.
      const node =
        inventory.gpus.find((g) => g.drmRender) ?? inventory.otherDisplays.find((d) => d.drmRender);
      return { kind: 'virtio', renderNode: node?.drmRender ? `/dev/dri/${node.drmRender}` : null };
    }
    case 'vf': {
      const pf = find(gpu.pf);
      const address = lease.vf ?? gpu.vf ?? (pf ? pickFreeVf(pf) : null);
      if (address === null) {
        const holders = [...new Set(pf?.vfs.map((v) => v.usedBy).filter((u) => u !== null))];
        throw new TesseraError(
          'CONFLICT',
          `every VF of ${gpu.pf} is in use${holders.length > 0 ? ` (by ${holders.join(', ')})` : ''}: stop one of those VMs or enable more VFs on the GPU page`,
          { issues: [{ path: ['gpu', 'pf'], message: `every VF of ${gpu.pf} is in use` }] },
        );
      }
      return { kind: 'vf', address, renderNode: renderNodeOf(pf) };
    }
    case 'mdev': {
      const parent = find(gpu.parent);
      const type = parent?.mdevTypes.find((t) => t.id === gpu.type);
      return {
        kind: 'mdev',
        uuid: lease.mdevUuid ?? spec.uuid,
        resolution: type?.resources ? parseResolution(type.resources.resolution) : null,
        renderNode: renderNodeOf(parent),
      };
    }
    case 'passthrough':
      return { kind: 'passthrough', address: gpu.device };
  }
}
