import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { vmRuntimeFiles } from '../src/main/paths';
import { readPidFile } from '../src/main/vm/qemu-process';
import { startServe, stopProcess } from '../tests/support/cli-process';
import { makeTempHome } from '../tests/support/temp-home';
import { GUEST_READY_MARKER, tinyGuestCreateOptions, type TinyGuest } from '../tests/support/tiny-guest';
import { cli, guardHome, removeHome, sleep, waitGone } from './proc';

export const VM_COUNT = 4;
/** Long enough for timers and lazily built state to settle before a reading. */
const SETTLE_MS = 1000;

export interface ServeMemoryResult {
  servePid: number;
  /** VmRSS of the serve process once it is up and has answered one request, before any VM. */
  idleRssMiB: number;
  /** VmRSS with VM_COUNT tiny guests running and past their ready marker: the figure the goal is about. */
  rssMiB: number;
  /** VmHWM: the peak resident size the process reached, starts included. */
  peakRssMiB: number;
  vms: number;
}

/** VmRSS and VmHWM of a process, in MiB (the kernel reports kB, which are KiB). */
export function readRss(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Math.round((Number(match[1]) / 1024) * 10) / 10;
  };
  return { rssMiB: field('VmRSS'), hwmMiB: field('VmHWM') };
}

/**
 * `tessera serve` owning the backend, with VM_COUNT VMs started through the CLI (which routes
 * to it over the control socket): how much memory the backend itself holds, QEMUs not counted.
 */
export async function benchServeMemory(options: {
  guest: TinyGuest;
  log: (line: string) => void;
}): Promise<ServeMemoryResult> {
  const { guest } = options;
  const home = makeTempHome('tessera-bench-rss-');
  const names = Array.from({ length: VM_COUNT }, (_, i) => `bench-rss-${i + 1}`);
  const qemuPids = new Set<number>();
  let serve: ChildProcess | undefined;
  const { killAll, forget } = guardHome(home, () => [serve]);
  try {
    serve = (await startServe(home.env)).child;
    const servePid = serve.pid;
    if (servePid === undefined) throw new Error('tessera serve has no pid');
    const host = JSON.parse((await cli(['host', '--json'], home.env)).stdout) as { backendPid: number };
    // Otherwise the CLI would run its own backend and the VMs would not be the serve process's.
    if (host.backendPid !== servePid)
      throw new Error(`the CLI talks to backend ${host.backendPid}, not serve ${servePid}`);
    await sleep(SETTLE_MS);
    const idle = readRss(servePid);
    options.log(`  serve pid ${servePid}: ${idle.rssMiB} MiB before any VM`);

    for (const name of names) {
      await cli(['vm', 'create', name, ...tinyGuestCreateOptions(guest, 256)], home.env);
    }
    // One at a time: four TCG boots at once on two cores would only make each slower.
    for (const name of names) {
      await cli(['vm', 'start', name, '--wait-serial', GUEST_READY_MARKER, '--timeout', '180'], home.env);
      options.log(`  ${name} is up`);
    }
    const list = JSON.parse((await cli(['vm', 'list', '--json'], home.env)).stdout) as {
      vms: { id: string; state: string; pid?: number }[];
    };
    for (const vm of list.vms) {
      if (vm.pid !== undefined) qemuPids.add(vm.pid);
      if (vm.state !== 'running') throw new Error(`VM ${vm.id} is ${vm.state}, not running`);
    }
    if (qemuPids.size !== VM_COUNT) throw new Error(`expected ${VM_COUNT} QEMU pids, got ${qemuPids.size}`);
    await sleep(SETTLE_MS);
    const loaded = readRss(servePid);
    options.log(
      `  serve pid ${servePid}: ${loaded.rssMiB} MiB with ${VM_COUNT} VMs (peak ${loaded.hwmMiB} MiB)`,
    );
    return {
      servePid,
      idleRssMiB: idle.rssMiB,
      rssMiB: loaded.rssMiB,
      peakRssMiB: loaded.hwmMiB,
      vms: VM_COUNT,
    };
  } finally {
    // VMs that started before a failure are in no list yet: their pidfiles name them.
    for (const name of names) {
      const pid = await readPidFile(vmRuntimeFiles(home.paths.runtimeDir, name).pid);
      if (pid !== undefined) qemuPids.add(pid);
    }
    try {
      if (serve && serve.exitCode === null && serve.signalCode === null) {
        for (const name of names) await cli(['vm', 'kill', name], home.env).catch(() => undefined);
        const stopped = stopProcess(serve, 'SIGTERM');
        const timedOut = await Promise.race([stopped.then(() => false), sleep(10_000).then(() => true)]);
        if (timedOut) await stopProcess(serve, 'SIGKILL');
      }
    } finally {
      // Whatever went wrong above, no QEMU of this home survives the benchmark.
      killAll();
      for (const pid of qemuPids)
        await waitGone(pid).catch((error: unknown) => options.log(`  ${String(error)}`));
      forget();
      removeHome(home.root);
    }
  }
}
