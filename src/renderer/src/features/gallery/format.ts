import type { VmSpec } from '../../../../shared/vm-spec';

/** Whole GiB read better than 4096 MiB; anything else stays exact. */
export function formatMemory(memoryMiB: number): string {
  return memoryMiB >= 1024 && memoryMiB % 1024 === 0 ? `${memoryMiB / 1024} GiB` : `${memoryMiB} MiB`;
}

export function formatCpus(cpus: number): string {
  return cpus === 1 ? '1 vCPU' : `${cpus} vCPUs`;
}

/** The GPU a VM gets. Only QEMU's emulated adapters exist so far; Intel VFs arrive with the GPU work. */
export function formatGpu(spec: Pick<VmSpec, 'vga'>): string {
  switch (spec.vga) {
    case 'std':
      return 'virtual GPU (standard VGA)';
    case 'virtio':
      return 'virtual GPU (virtio)';
    case 'none':
      return 'no GPU';
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
