import type { VmSpec } from '../../shared/vm-spec';

/**
 * Why a VM cannot have warm resets, or null when it can. QMP's snapshot-save / snapshot-load
 * (qapi/migration.json, QEMU 6.0+) are refused while migration is blocked, and these register
 * a blocker: every vfio-pci device without a migration-capable VFIO driver (hw/vfio/migration.c;
 * i915 has none, so SR-IOV VFs, GVT-g vGPUs and a passed-through GPU all block), and virgl
 * (hw/display/virtio-gpu-gl.c). Internal snapshots also need every writable disk to be a qcow2
 * that holds them; a plain disk beside the overlay would not be rolled back with the memory.
 * The reason names the spec, not the process: on a simulated host QEMU runs a stand-in GPU, but
 * the VM as defined would be blocked on real hardware, and the reset must behave the same.
 */
export function warmResetBlocker(spec: VmSpec, goldenDisk: number): string | null {
  const gpu = spec.gpu;
  switch (gpu.kind) {
    case 'vf':
      return `its GPU is an SR-IOV VF (vfio-pci), which blocks migration and so QEMU snapshots: i915 VFs have no migration-capable VFIO driver`;
    case 'mdev':
      return `its GPU is a GVT-g vGPU (vfio-pci mdev), which blocks migration and so QEMU snapshots`;
    case 'passthrough':
      return `its GPU ${gpu.device} is passed through (vfio-pci), which blocks migration and so QEMU snapshots`;
    case 'virtio':
      if (gpu.gl) return 'its virtio GPU renders with virgl, which blocks migration and so QEMU snapshots';
      break;
    default:
      break;
  }
  const other = spec.disks.findIndex((d, i) => i !== goldenDisk && !d.readOnly && d.backing === undefined);
  if (other >= 0) {
    return `its disk ${other + 1} (${spec.disks[other]?.path}) is writable and not on a golden image: a snapshot would roll back the memory but not that disk`;
  }
  return null;
}
