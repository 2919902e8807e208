import fs from 'node:fs';
import type { HostFacts } from '../../shared/host-report';

/**
 * Facts about the machine Tessera itself runs on, whatever host root it reads: the limits and
 * capabilities of this process (QEMU inherits them) and the programs it starts. On a simulated
 * host these stay real, because the QEMU that runs is real.
 */

/** Soft and hard RLIMIT_MEMLOCK from /proc/self/limits; null = unlimited. */
export function parseMemlock(limits: string): { softBytes: number | null; hardBytes: number | null } | null {
  const match = /^Max locked memory\s+(\S+)\s+(\S+)\s+bytes/m.exec(limits);
  if (!match?.[1] || !match[2]) return null;
  const value = (v: string) => (v === 'unlimited' ? null : Number(v));
  return { softBytes: value(match[1]), hardBytes: value(match[2]) };
}

const CAP_IPC_LOCK = 14n; // include/uapi/linux/capability.h

/** Whether CapEff in /proc/self/status has CAP_IPC_LOCK, which lifts the memlock limit for vfio (docs/sriov-sysfs.md#unprivileged-qemu-with-vfio). */
export function parseCapIpcLock(status: string): boolean {
  const hex = /^CapEff:\s+([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_IPC_LOCK) & 1n) === 1n;
}

export function readMemlock(
  readFile: (p: string) => string = (p) => fs.readFileSync(p, 'utf8'),
): HostFacts['memlock'] {
  try {
    const limits = parseMemlock(readFile('/proc/self/limits'));
    if (limits === null) return null;
    return { ...limits, capIpcLock: parseCapIpcLock(readFile('/proc/self/status')) };
  } catch {
    return null;
  }
}
