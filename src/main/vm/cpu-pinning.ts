import { execFile } from 'node:child_process';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';

const VcpuThreads = z.array(z.object({ 'cpu-index': z.int(), 'thread-id': z.int() }));

/**
 * Pin each vCPU thread to its host CPU. QEMU has no command-line option for it; like libvirt,
 * ask QMP `query-cpus-fast` for the vCPU threads and set their affinity (util-linux's taskset,
 * since Node has no sched_setaffinity).
 */
export async function pinVcpus(
  qmp: (command: string) => Promise<unknown>,
  pinning: readonly number[],
  setAffinity: (thread: number, cpu: number) => Promise<void> = taskset,
): Promise<void> {
  if (pinning.length === 0) return;
  const threads = VcpuThreads.parse(await qmp('query-cpus-fast'));
  for (const vcpu of threads) {
    const cpu = pinning[vcpu['cpu-index']];
    if (cpu !== undefined) await setAffinity(vcpu['thread-id'], cpu);
  }
}

function taskset(thread: number, cpu: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'taskset',
      ['--cpu-list', '--pid', String(cpu), String(thread)],
      { timeout: 5000 },
      (error, _out, stderr) => {
        if (!error) return resolve();
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new TesseraError(
            'UNAVAILABLE',
            missing
              ? 'pinning vCPUs needs taskset: install the Debian package util-linux'
              : `could not pin vCPU thread ${thread} to host CPU ${cpu}: ${stderr.trim() || error.message}`,
          ),
        );
      },
    );
  });
}
