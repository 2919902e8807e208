// `npm run bench`: bundled to out/bench/run.js by scripts/build-node.mjs and run from the repo root.
import fs from 'node:fs';
import path from 'node:path';
import { TESSERA_BIN } from '../tests/support/cli-process';
import { REPO_ROOT, TINY_GUEST_DIR } from '../tests/support/temp-home';
import { buildTinyGuest } from '../tests/support/tiny-guest';
import { DEFINITIONS, benchList } from './list-200';
import { machineInfo } from './machine';
import { installInterruptHandler } from './proc';
import { markdown, textTable, type BenchEntry, type BenchReport } from './report';
import { VM_COUNT, benchServeMemory } from './serve-memory';
import { benchStartToSerial } from './start-to-serial';

const START_RUNS = 5;
const LIST_RUNS = 10;
const WARMUP_PAIRS = 1;
const START_GOAL = 1.1;
const LIST_GOAL = 3;
const RSS_GOAL_MIB = 150;

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
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  const machine = await machineInfo();
  log(`nproc ${machine.nproc}, ${machine.memoryMiB} MiB, accel ${machine.accelerator}`);

  const benchmarks: BenchEntry[] = [];
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
  benchmarks.push(
    await attempt(
      {
        id: 'list-200',
        title: `vm list --json, ${DEFINITIONS} VMs`,
        goal: `ratio ≤ ${LIST_GOAL}`,
        unit: 'ratio',
      },
      async () => {
        const comparison = await benchList({ guest, runs: LIST_RUNS, warmup: WARMUP_PAIRS, log });
        return { figure: comparison.ratio, comparison };
      },
      (ratio) => ratio <= LIST_GOAL,
    ),
  );
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

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine,
    settings: {
      'start runs': START_RUNS,
      'list runs': LIST_RUNS,
      'warm-up pairs (discarded)': WARMUP_PAIRS,
      'guest memory MiB': 256,
      TESSERA_ACCEL: 'tcg',
    },
    benchmarks,
  };
  const dir = path.join(REPO_ROOT, 'bench', 'results');
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
