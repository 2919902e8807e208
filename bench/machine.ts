import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { makeTempHome } from '../tests/support/temp-home';
import { cli } from './proc';

export interface MachineInfo {
  nproc: number;
  memoryMiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
  qemu: { path: string; version: string } | { error: string };
  accelerator: string;
}

function nproc(): number {
  try {
    // nproc honours CPU affinity and cgroup limits the way the brief's figure means; os.cpus() does not.
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.availableParallelism();
  }
}

/** What the figures were measured on; QEMU and the accelerator as Tessera itself sees them. */
export async function machineInfo(): Promise<MachineInfo> {
  const home = makeTempHome('tessera-bench-host-');
  try {
    const host = JSON.parse((await cli(['host', '--json'], home.env)).stdout) as {
      accelerator: string;
      acceleratorReason: string;
      qemu: { path: string; version: string } | { error: string };
    };
    return {
      nproc: nproc(),
      memoryMiB: Math.round(os.totalmem() / 1048576),
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
      qemu: host.qemu,
      accelerator: `${host.accelerator} (${host.acceleratorReason})`,
    };
  } finally {
    home.cleanup();
  }
}
