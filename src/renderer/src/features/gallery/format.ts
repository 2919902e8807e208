/** Whole GiB read better than 4096 MiB; anything else stays exact. */
export function formatMemory(memoryMiB: number): string {
  return memoryMiB >= 1024 && memoryMiB % 1024 === 0 ? `${memoryMiB / 1024} GiB` : `${memoryMiB} MiB`;
}

export function formatCpus(cpus: number): string {
  return cpus === 1 ? '1 vCPU' : `${cpus} vCPUs`;
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
