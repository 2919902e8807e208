/** Whole GiB read better than 4096 MiB; anything else stays exact. */
export function formatMemory(memoryMiB: number): string {
  return memoryMiB >= 1024 && memoryMiB % 1024 === 0 ? `${memoryMiB / 1024} GiB` : `${memoryMiB} MiB`;
}

export function formatCpus(cpus: number): string {
  return cpus === 1 ? '1 vCPU' : `${cpus} vCPUs`;
}
