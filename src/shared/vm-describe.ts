/** A VM's GPU and display in a few words, for cards, `vm show` and the wall. */
import type { DisplaySpec, GpuSpec } from './vm-spec';

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
