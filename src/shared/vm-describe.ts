/** A VM's GPU and display in a few words, for cards, `vm show` and the wall. */
import type { DisplaySpec, GpuLeaseInfo, GpuSpec } from './vm-spec';

export function describeGpu(gpu: GpuSpec): string {
  switch (gpu.kind) {
    case 'none':
      return 'no GPU';
    case 'std':
      return 'virtual GPU (standard VGA)';
    case 'virtio':
      return gpu.gl ? 'virtual GPU (virtio, GL)' : 'virtual GPU (virtio)';
    case 'vf':
      return gpu.vf === undefined ? `any free VF of ${gpu.pf}` : `VF ${gpu.vf} of ${gpu.pf}`;
    case 'mdev':
      return `GVT-g ${gpu.type} on ${gpu.parent}`;
    case 'passthrough':
      return `whole GPU ${gpu.device}`;
  }
}

export function describeDisplay(display: DisplaySpec): string {
  switch (display.kind) {
    case 'vnc':
      return 'VNC console';
    case 'spice':
      return 'SPICE console';
    case 'local': {
      const where = display.monitor === null ? 'this host' : display.monitor;
      return `${display.fullScreen ? 'full-screen window' : 'window'} on ${where}`;
    }
    case 'none':
      return 'no display';
  }
}

/** What a running VM holds of the GPU; on a simulated host a virtual GPU runs in its place. */
export function describeGpuLease(lease: GpuLeaseInfo): string {
  const held =
    lease.kind === 'vf'
      ? `VF ${lease.device}`
      : lease.kind === 'mdev'
        ? `vGPU ${lease.device}`
        : `whole GPU ${lease.device}`;
  return lease.simulated ? `${held} (simulated GPU: QEMU runs a virtual GPU in its place)` : `holds ${held}`;
}
