// `npm run bench`: bundled to out/bench/run.js by scripts/build-node.mjs and run from the repo root.
import fs from 'node:fs';
import path from 'node:path';
import { TESSERA_BIN } from '../tests/support/cli-process';
import { REPO_ROOT, TINY_GUEST_DIR } from '../tests/support/temp-home';
import { buildTinyGuest } from '../tests/support/tiny-guest';
import { DEFINITIONS, benchList } from './list-200';
import { machineInfo } from './machine';
import { installInterruptHandler } from './proc';
import { benchGpuApply } from './gpu-apply';
import { markdown, textTable, type BenchEntry, type BenchReport } from './report';
import { VM_COUNT, benchServeMemory } from './serve-memory';
import { benchStartToSerial } from './start-to-serial';

const START_RUNS = 5;
const LIST_RUNS = 10;
const WARMUP_PAIRS = 1;
const START_GOAL = 1.1;
const LIST_GOAL = 3;
const RSS_GOAL_MIB = 150;
const GPU_RUNS = 10;
const GPU_GOAL_MS = 150;

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
  // The test helpers find the repo from their own location; bundled into out/bench that is still
  // two levels down, but a wrong guess would time the wrong CLI, so check it.
  if (!fs.existsSync(path.join(REPO_ROOT, 'package.json')) || !fs.existsSync(TESSERA_BIN)) {
    throw new Error(`${REPO_ROOT} is not the Tessera checkout (no package.json or bin/tessera.js)`);
  }
  // `npm run bench -- gpu-apply` runs the named benchmarks only and updates their entries.
  const only = process.argv.slice(2);
  const wanted = (id: string) => only.length === 0 || only.includes(id);
  const guest = ['start-to-serial', 'list-200', 'serve-rss'].some(wanted)
    ? buildTinyGuest(TINY_GUEST_DIR)
    : null;
  const needGuest = () => {
    if (!guest) throw new Error('the tiny guest was not built');
    return guest;
  };
  const machine = await machineInfo();
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
          const c = await benchStartToSerial({
            guest: needGuest(),
            runs: START_RUNS,
            warmup: WARMUP_PAIRS,
            log,
          });
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
  if (wanted('list-200'))
    benchmarks.push(
      await attempt(
        {
          id: 'list-200',
          title: `vm list --json, ${DEFINITIONS} VMs`,
          goal: `ratio ≤ ${LIST_GOAL}`,
          unit: 'ratio',
        },
        async () => {
          const comparison = await benchList({
            guest: needGuest(),
            runs: LIST_RUNS,
            warmup: WARMUP_PAIRS,
            log,
          });
          return { figure: comparison.ratio, comparison };
        },
        (ratio) => ratio <= LIST_GOAL,
      ),
    );
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
          const r = await benchServeMemory({ guest: needGuest(), log });
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

  if (wanted('gpu-apply'))
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

  const dir = path.join(REPO_ROOT, 'bench', 'results');
  if (only.length > 0) {
    // A partial run keeps the other benchmarks' last results beside the new ones.
    try {
      const previous = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')) as BenchReport;
      benchmarks.unshift(...previous.benchmarks.filter((b) => !only.includes(b.id)));
    } catch {
      // no earlier results
    }
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
    },
    benchmarks,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'latest.md'), markdown(report));
  process.stdout.write(textTable(report));
  log(`wrote ${path.relative(process.cwd(), dir) || dir}/latest.{json,md}`);
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
