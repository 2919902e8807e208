// `npm run bench`: bundled to out/bench/run.js by scripts/build-node.mjs and run from the repo root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TESSERA_BIN } from '../tests/support/cli-process';
import { REPO_ROOT, TINY_GUEST_DIR } from '../tests/support/temp-home';
import { buildTinyGuest } from '../tests/support/tiny-guest';
import { LIST_SIZES, benchList } from './list-200';
import { machineInfo } from './machine';
import { installInterruptHandler } from './proc';
import { benchGpuApply } from './gpu-apply';
import { measureRendererJs } from './renderer-js';
import { markdown, textTable, type BenchEntry, type BenchReport } from './report';
import { VM_COUNT, benchServeMemory } from './serve-memory';
import { benchStartToSerial } from './start-to-serial';
import { benchConsoleBridge } from './console-bridge';
import { THUMB_VMS, benchThumbnailCpu } from './thumbnail-cpu';
import { COMMANDS, benchRunPlan } from './run-plan';
import { benchGoldenReset } from './golden-reset';
import { KIOSK_COUNTS, benchKiosk } from './kiosk';

const START_RUNS = 5;
const LIST_RUNS = 10;
const WARMUP_PAIRS = 1;
const START_GOAL = 1.1;
/** The ratio `vm list --json` may take over `node -e 0`, by number of definitions. */
const LIST_GOALS: Record<(typeof LIST_SIZES)[number], number> = { 200: 1.8, 2000: 3 };
const RSS_GOAL_MIB = 150;
const ADDED_P99_GOAL_MS = 1;
const THUMB_CPU_GOAL_PERCENT = 3;
const GPU_RUNS = 10;
const GPU_GOAL_MS = 150;
const RUN_PLAN_RUNS = 3;
/** A run does more than typing (markers, base64, captured files, a record): within 3× of by hand. */
const RUN_PLAN_GOAL = 3;
const GOLDEN_RUNS = 3;
const WARM_GOAL = 0.2;
const RESET_ALL_GOAL = 1.5;
const KIOSK_RUNS = 3;
const KIOSK_GOAL = 1.2;
const KIOSK_RESTORE_GOAL_MS = 3000;
const RENDERER_JS_GOAL_KB = 120;

// Progress goes to stderr so stdout carries only the table.
const log = (line: string): void => void process.stderr.write(line + '\n');

async function attempt(
  base: Omit<BenchEntry, 'pass'>,
  run: () => Promise<Partial<BenchEntry> & { figure: number }>,
  withinGoal: (figure: number) => boolean,
): Promise<BenchEntry> {
  log(`${base.title} ...`);
  try {
    const result = await run();
    return { ...base, ...result, pass: withinGoal(result.figure) };
  } catch (error) {
    log(`  failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ...base, pass: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<number> {
  installInterruptHandler();
  // `npm run bench -- ID...` runs only those benchmarks (kept as bench/results/partial-ID+ID.*).
  const only = process.argv.slice(2);
  const wanted = (id: string) => only.length === 0 || only.includes(id);
  // The test helpers find the repo from their own location; bundled into out/bench that is still
  // two levels down, but a wrong guess would time the wrong CLI, so check it.
  if (!fs.existsSync(path.join(REPO_ROOT, 'package.json')) || !fs.existsSync(TESSERA_BIN)) {
    throw new Error(`${REPO_ROOT} is not the Tessera checkout (no package.json or bin/tessera.js)`);
  }
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  const machine = await machineInfo();
  // Other work on the machine moves every figure; the report says how busy it was.
  const loadAtStart = os.loadavg()[0] ?? 0;
  log(`nproc ${machine.nproc}, ${machine.memoryMiB} MiB, accel ${machine.accelerator}`);

  const benchmarks: BenchEntry[] = [];
  if (wanted('start-to-serial'))
    benchmarks.push(
      await attempt(
        {
          id: 'start-to-serial',
          title: 'Start to first serial line',
          goal: `ratio ≤ ${START_GOAL.toFixed(2)}`,
          unit: 'ratio',
        },
        async () => {
          const c = await benchStartToSerial({ guest, runs: START_RUNS, warmup: WARMUP_PAIRS, log });
          const { leftovers, ...comparison } = c;
          return {
            figure: comparison.ratio,
            comparison,
            details: { 'sockets or pidfiles left after a run': leftovers },
          };
        },
        (ratio) => ratio <= START_GOAL,
      ),
    );
  for (const definitions of LIST_SIZES) {
    if (!wanted(`list-${definitions}`)) continue;
    const goal = LIST_GOALS[definitions];
    benchmarks.push(
      await attempt(
        {
          id: `list-${definitions}`,
          title: `vm list --json, ${definitions} VMs`,
          goal: `ratio ≤ ${goal}`,
          unit: 'ratio',
        },
        async () => {
          const comparison = await benchList({
            definitions,
            guest,
            runs: LIST_RUNS,
            warmup: WARMUP_PAIRS,
            log,
          });
          return { figure: comparison.ratio, comparison };
        },
        (ratio) => ratio <= goal,
      ),
    );
  }
  if (wanted('serve-rss'))
    benchmarks.push(
      await attempt(
        {
          id: 'serve-rss',
          title: `Backend RSS, ${VM_COUNT} running VMs`,
          goal: `≤ ${RSS_GOAL_MIB} MiB`,
          unit: 'MiB',
        },
        async () => {
          const r = await benchServeMemory({ guest, log });
          return {
            figure: r.rssMiB,
            details: {
              'VmRSS before any VM (MiB)': r.idleRssMiB,
              [`VmRSS with ${r.vms} VMs (MiB)`]: r.rssMiB,
              'VmHWM, peak (MiB)': r.peakRssMiB,
            },
          };
        },
        (mib) => mib <= RSS_GOAL_MIB,
      ),
    );
  if (wanted('vnc-bridge')) {
    // One measurement, two judged figures: throughput against websockify, and added latency.
    const bridge = await benchConsoleBridge({ guest, log }).catch((error: unknown) => error);
    const failed = bridge instanceof Error ? bridge : undefined;
    const details = (r: Awaited<ReturnType<typeof benchConsoleBridge>>) => {
      const out: Record<string, string> = { screen: r.screen };
      for (const [name, f] of Object.entries(r.replayStream)) {
        out[`replayed stream, ${name}: MB/s (updates/s)`] = `${f.mbPerSecond} (${f.updatesPerSecond})`;
      }
      for (const [name, f] of Object.entries(r.liveStream)) {
        out[`live stream from QEMU, ${name}: MB/s (updates/s)`] = `${f.mbPerSecond} (${f.updatesPerSecond})`;
      }
      return out;
    };
    const latencies = (r: Awaited<ReturnType<typeof benchConsoleBridge>>) => {
      const out: Record<string, string | number> = { 'websockify: added p99 (ms)': r.websockifyAddedP99Ms };
      for (const [name, l] of Object.entries(r.latency)) {
        out[`round trip to QEMU, ${name}: p50 / p99 (ms)`] = `${l.p50Ms} / ${l.p99Ms}`;
      }
      for (const [name, l] of Object.entries(r.replayLatency)) {
        out[`round trip to the replay server, ${name}: p50 / p99 (ms)`] = `${l.p50Ms} / ${l.p99Ms}`;
      }
      return out;
    };
    benchmarks.push(
      await attempt(
        {
          id: 'vnc-bridge-throughput',
          title: 'VNC bridge, full-screen update stream',
          goal: 'throughput ≥ websockify (ratio ≥ 1)',
          unit: 'ratio',
        },
        async () => {
          if (failed) throw failed;
          const r = bridge as Awaited<ReturnType<typeof benchConsoleBridge>>;
          return { figure: r.throughputRatio, details: details(r) };
        },
        (ratio) => ratio >= 1,
      ),
      await attempt(
        {
          id: 'vnc-bridge-latency',
          title: 'VNC bridge, added latency per message',
          goal: `added p99 ≤ ${ADDED_P99_GOAL_MS} ms`,
          unit: 'ms',
        },
        async () => {
          if (failed) throw failed;
          const r = bridge as Awaited<ReturnType<typeof benchConsoleBridge>>;
          return { figure: r.addedP99Ms, details: latencies(r) };
        },
        (ms) => ms <= ADDED_P99_GOAL_MS,
      ),
    );
  }
  if (wanted('thumbnail-cpu')) {
    benchmarks.push(
      await attempt(
        {
          id: 'thumbnail-cpu',
          title: `Thumbnails, ${THUMB_VMS} running VMs at 1 Hz`,
          goal: `backend CPU ≤ ${THUMB_CPU_GOAL_PERCENT} % of one core`,
          unit: '%',
        },
        async () => {
          const r = await benchThumbnailCpu({ guest, log });
          return {
            figure: r.runningPercent,
            details: {
              'serve CPU, idle, no polling (%)': r.idlePercent,
              [`serve CPU, ${THUMB_VMS} paused VMs polled at 1 Hz (%)`]: r.pausedPercent,
              [`one fresh thumbnail of a ${r.screen} screen from a PPM dump (ms CPU)`]: r.ppmPathMs,
              "the same from QEMU's PNG dump (ms CPU)": r.pngPathMs,
            },
          };
        },
        (percent) => percent <= THUMB_CPU_GOAL_PERCENT,
      ),
    );
  }
  if (wanted('gpu-apply')) {
    benchmarks.push(
      await attempt(
        {
          id: 'gpu-apply',
          title: 'Helper: 7 VFs, fair share, on vfio-pci (simulated ADL-P)',
          goal: `≤ ${GPU_GOAL_MS} ms`,
          unit: 'ms',
        },
        async () => {
          const r = await benchGpuApply({ runs: GPU_RUNS, warmup: 1, log });
          return {
            figure: r.tmpfs.medianMs,
            details: {
              'helper process, tree on tmpfs: samples (ms)': r.tmpfs.samplesMs.map(String),
              'helper process, tree on disk (the simulated kernel makes ~200 files there): median (ms)':
                r.disk.medianMs,
              'node -e 0 on this machine: median (ms)': r.nodeFloor.medianMs,
              'the helper in process (no Node start): median (ms)': r.inProcess.medianMs,
              'writes the helper made': r.writes,
            },
          };
        },
        (ms) => ms <= GPU_GOAL_MS,
      ),
    );
  }

  if (wanted('run-plan')) {
    const r = await benchRunPlan({ runs: RUN_PLAN_RUNS, warmup: 1, log }).catch((error: unknown) => error);
    const failed = r instanceof Error ? r : undefined;
    const result = r as Awaited<ReturnType<typeof benchRunPlan>>;
    const record = () => ({
      'record of one 20-step run: bytes (files)': `${result.recordBytes} (${result.recordFiles})`,
    });
    for (const [id, title, pick] of [
      ['run-plan-serial', 'serial console', (x: typeof result) => x.serial],
      ['run-plan-agent', 'guest agent', (x: typeof result) => x.agent],
    ] as const) {
      benchmarks.push(
        await attempt(
          {
            id,
            title: `${COMMANDS.length}-step run over the ${title} vs typed by hand`,
            goal: `ratio ≤ ${RUN_PLAN_GOAL}`,
            unit: 'ratio',
          },
          async () => {
            if (failed) throw failed;
            const comparison = pick(result);
            return { figure: comparison.ratio, comparison, details: record() };
          },
          (ratio) => ratio <= RUN_PLAN_GOAL,
        ),
      );
    }
  }

  if (wanted('golden-reset')) {
    // One run gives all three figures; the later entries reuse it.
    const golden = benchGoldenReset({
      guest: buildTinyGuest(TINY_GUEST_DIR, { virtioDisk: true }),
      runs: GOLDEN_RUNS,
      warmup: WARMUP_PAIRS,
      log,
    });
    golden.catch(() => undefined);
    benchmarks.push(
      await attempt(
        {
          id: 'golden-cold-reset',
          title: 'Cold reset vs full copy + boot',
          goal: 'reported (ratio < 1 means faster than copying)',
          unit: 'ratio',
        },
        async () => {
          const r = await golden;
          return { figure: r.coldVsCopy.ratio, comparison: r.coldVsCopy };
        },
        () => true,
      ),
      await attempt(
        {
          id: 'golden-warm-reset',
          title: 'Warm reset vs cold reset',
          goal: `ratio ≤ ${WARM_GOAL.toFixed(2)}`,
          unit: 'ratio',
        },
        async () => {
          const r = await golden;
          return { figure: r.warmVsCold.ratio, comparison: r.warmVsCold };
        },
        (ratio) => ratio <= WARM_GOAL,
      ),
      await attempt(
        {
          id: 'golden-reset-all',
          title: 'Reset-all of 4 VMs vs one VM',
          goal: `ratio ≤ ${RESET_ALL_GOAL.toFixed(2)}`,
          unit: 'ratio',
        },
        async () => {
          const r = await golden;
          return { figure: r.allVsOne.ratio, comparison: r.allVsOne, details: { VMs: r.resetAllVms } };
        },
        (ratio) => ratio <= RESET_ALL_GOAL,
      ),
    );
  }
  if (wanted('kiosk')) {
    // One X server per VM count; the start ratios and the kill -9 figure come from one measurement.
    const kiosk = await benchKiosk({ guest, counts: KIOSK_COUNTS, runs: KIOSK_RUNS, warmup: 1, log }).catch(
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    for (const count of KIOSK_COUNTS) {
      benchmarks.push(
        await attempt(
          {
            id: `kiosk-start-${count}`,
            title: `Kiosk start to all ${count} windows in place`,
            goal: `ratio ≤ ${KIOSK_GOAL.toFixed(2)}`,
            unit: 'ratio',
          },
          async () => {
            if (kiosk instanceof Error) throw kiosk;
            const comparison = kiosk.start[count];
            if (!comparison) throw new Error(`no figures for ${count} VMs`);
            const floor = kiosk.floor[count];
            return {
              figure: comparison.ratio,
              comparison,
              details: {
                'fresh tessera --help process (Node + CLI bundle load), median of 3 (ms)':
                  floor?.cliProcessMs ?? NaN,
                '1-minute load average after the runs': floor?.loadAverage ?? NaN,
              },
            };
          },
          (ratio) => ratio <= KIOSK_GOAL,
        ),
      );
    }
    benchmarks.push(
      await attempt(
        {
          id: 'kiosk-restore',
          title: 'Kiosk: kill -9 of a QEMU to its window back in place',
          goal: `≤ ${KIOSK_RESTORE_GOAL_MS} ms (the guest's boot is not waited for)`,
          unit: 'ms',
        },
        async () => {
          if (kiosk instanceof Error) throw kiosk;
          return { figure: kiosk.restoreMs, details: { 'restart back-off of a first crash (ms)': 1000 } };
        },
        (ms) => ms <= KIOSK_RESTORE_GOAL_MS,
      ),
    );
  }

  if (wanted('renderer-js')) {
    benchmarks.push(
      await attempt(
        {
          id: 'renderer-js',
          title: 'Renderer initial JavaScript, gzipped',
          goal: `≤ ${RENDERER_JS_GOAL_KB} KB`,
          unit: 'KB',
        },
        async () => {
          const r = measureRendererJs(path.join(REPO_ROOT, 'out', 'renderer'));
          return {
            figure: r.gzipKB,
            details: {
              'files loaded before the gallery renders': r.files,
              'the same, raw (KB)': r.rawKB,
              'chunks loaded on demand (consoles, wall, editor, host and GPU pages), raw (KB)': r.lazyKB,
            },
          };
        },
        (kb) => kb <= RENDERER_JS_GOAL_KB,
      ),
    );
  }

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine,
    settings: {
      'start runs': START_RUNS,
      'list runs': LIST_RUNS,
      'warm-up pairs (discarded)': WARMUP_PAIRS,
      'guest memory MiB': 256,
      TESSERA_ACCEL: 'tcg',
      'gpu-apply runs': GPU_RUNS,
      'run-plan runs per transport': RUN_PLAN_RUNS,
      'golden reset runs': GOLDEN_RUNS,
      'kiosk runs per VM count': KIOSK_RUNS,
      'load average (1 min) at start / end': `${loadAtStart.toFixed(2)} / ${(os.loadavg()[0] ?? 0).toFixed(2)}`,
    },
    benchmarks,
  };
  // A partial run is kept beside the full one, never in its place: latest.* always holds every figure.
  if (only.some((id) => !/^[a-z0-9-]+$/.test(id)))
    throw new Error(`benchmark ids are [a-z0-9-]: ${only.join(' ')}`);
  const name = only.length > 0 ? `partial-${[...only].sort().join('+')}` : 'latest';
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, `${name}.md`), markdown(report));
  process.stdout.write(textTable(report));
  log(`wrote ${path.relative(process.cwd(), dir) || dir}/${name}.{json,md}`);
  // A missed goal is a result, not a failure of the run; a benchmark that could not run is.
  return benchmarks.some((b) => b.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
