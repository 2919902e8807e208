import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodePng, encodePng } from '../src/main/console/png';
import { parsePpm, scaleToWidth } from '../src/main/console/rgb-image';
import { vmRuntimeFiles } from '../src/main/paths';
import { readPidFile } from '../src/main/vm/qemu-process';
import { startServe, stopProcess } from '../tests/support/cli-process';
import { makeTempHome } from '../tests/support/temp-home';
import { GUEST_READY_MARKER, type TinyGuest } from '../tests/support/tiny-guest';
import { guardHome, removeHome, sleep, waitGone } from './proc';
import { round3 } from './stats';
import { connectServe, type ServeClient } from './serve-client';

export const THUMB_VMS = 16;
/** The judged figure: running VMs, each poll a fresh screen dump. */
const LIVE_SECONDS = 30;
const IDLE_SECONDS = 10;
const PAUSED_SECONDS = 10;
const MAX_WIDTH = 320;
const CODEC_RUNS = 30;

export interface ThumbnailCpuResult {
  /** Backend CPU while polling every running VM's thumbnail once a second, in % of one core. */
  runningPercent: number;
  /** The same process doing nothing for the same kind of stretch (timers, QMP), for scale. */
  idlePercent: number;
  /** The same polling with every VM paused: a paused screen's frame is reused. */
  pausedPercent: number;
  /** Backend CPU per fresh thumbnail, from a PPM dump (what the service does) and from QEMU's PNG. */
  ppmPathMs: number;
  pngPathMs: number;
  screen: string;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime 14, stime 15 (proc(5)); fields[0] is field 3.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * `tessera serve` with THUMB_VMS tiny guests, polled as the gallery polls: every card's
 * thumbnail once a second. The figure is the serve process's own CPU time (QEMU's not counted)
 * while all VMs run; paused VMs and idle serve are measured the same way for scale.
 */
export async function benchThumbnailCpu(options: {
  guest: TinyGuest;
  log: (line: string) => void;
}): Promise<ThumbnailCpuResult> {
  const { guest, log } = options;
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const home = makeTempHome('tessera-bench-thumb-');
  const names = Array.from({ length: THUMB_VMS }, (_, i) => `bench-thumb-${i + 1}`);
  let serve: ChildProcess | undefined;
  let rpc: ServeClient | undefined;
  const { killAll, forget } = guardHome(home, () => [serve]);
  try {
    const served = await startServe(home.env);
    serve = served.child;
    const pid = serve.pid;
    if (pid === undefined) throw new Error('tessera serve has no pid');
    rpc = await connectServe(served.url);
    const client = rpc.client;
    for (const name of names) {
      await client.call('vm.create', {
        name,
        memoryMiB: 128,
        kernel: { path: guest.kernel, initrd: guest.initrd, append: guest.append },
      });
    }
    for (const name of names) await client.call('vm.start', { id: name });
    for (const name of names) {
      await client.call('vm.waitSerial', { id: name, text: GUEST_READY_MARKER, timeoutSeconds: 300 });
    }
    log(`  ${THUMB_VMS} guests are up`);

    const pollAll = () =>
      Promise.all(names.map((id) => client.call('vm.thumbnail', { id, maxWidth: MAX_WIDTH })));
    /** CPU share of the serve process over `seconds`, polling once a second or not at all. */
    const measure = async (seconds: number, poll: boolean): Promise<number> => {
      const cpu0 = cpuSeconds(pid, ticks);
      const t0 = performance.now();
      for (let s = 0; s < seconds; s++) {
        const tick = performance.now();
        if (poll) {
          const thumbs = await pollAll();
          if (thumbs.some((t) => t.pngBase64 === null)) throw new Error('a thumbnail came back empty');
        }
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
      return round3(((cpuSeconds(pid, ticks) - cpu0) / ((performance.now() - t0) / 1000)) * 100);
    };

    await pollAll();
    await sleep(1000);
    const idlePercent = await measure(IDLE_SECONDS, false);
    const runningPercent = await measure(LIVE_SECONDS, true);
    log(`  serve CPU: idle ${idlePercent} %, polling ${THUMB_VMS} running VMs ${runningPercent} %`);
    for (const name of names) await client.call('vm.pause', { id: name });
    await pollAll(); // the one dump each paused VM costs
    await sleep(1000);
    const pausedPercent = await measure(PAUSED_SECONDS, true);
    log(`  serve CPU polling ${THUMB_VMS} paused VMs: ${pausedPercent} %`);
    for (const name of names) await client.call('vm.resume', { id: name });

    // What one fresh thumbnail costs either way, on this VM's real frame, in this process.
    const shot = await client.call('vm.screenshot', { id: names[0] as string });
    const png = Buffer.from(shot.pngBase64, 'base64');
    const frame = decodePng(png);
    const ppm = Buffer.concat([Buffer.from(`P6\n${frame.width} ${frame.height}\n255\n`), frame.data]);
    const time = (work: () => void): number => {
      work();
      const t = performance.now();
      for (let i = 0; i < CODEC_RUNS; i++) work();
      return round3((performance.now() - t) / CODEC_RUNS);
    };
    const ppmPathMs = time(() => encodePng(scaleToWidth(parsePpm(ppm), MAX_WIDTH)));
    const pngPathMs = time(() => encodePng(scaleToWidth(decodePng(png), MAX_WIDTH)));
    log(`  one thumbnail: ${ppmPathMs} ms from PPM, ${pngPathMs} ms from QEMU's PNG`);
    return {
      pausedPercent,
      idlePercent,
      runningPercent,
      ppmPathMs,
      pngPathMs,
      screen: `${frame.width}x${frame.height}`,
    };
  } finally {
    const pids: number[] = [];
    for (const name of names) {
      const p = await readPidFile(vmRuntimeFiles(home.paths.runtimeDir, name).pid);
      if (p !== undefined) pids.push(p);
    }
    try {
      if (rpc) for (const id of names) await rpc.client.call('vm.kill', { id }).catch(() => undefined);
      rpc?.close();
      if (serve) await stopProcess(serve, 'SIGTERM');
    } finally {
      killAll();
      for (const p of pids) await waitGone(p).catch((error: unknown) => log(`  ${String(error)}`));
      forget();
      removeHome(home.root);
    }
  }
}
