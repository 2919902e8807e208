import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HelperResult } from '../src/shared/helper-plan';
import { presetShares } from '../src/shared/gpu-shares';
import { runSimulatedPlan } from '../src/simulation/run-simulated-plan';
import { createHostRoot } from '../src/main/fsutil/host-root';
import { readGpuInventory } from '../src/main/gpu/inventory';
import { buildPlan } from '../src/main/gpu/plan-builder';
import { buildHostTree } from '../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../src/main/gpu/simulation/simulated-hosts';
import { REPO_ROOT } from '../tests/support/temp-home';
import { timeChild } from './proc';
import { median, round1, summarize, type SideStats } from './stats';

const PF = '0000:00:02.0';
const VFS = 7;
export const HELPER_SCRIPT = path.join(REPO_ROOT, 'out', 'helper', 'simulated.js');
const TMPFS = '/dev/shm';

export interface GpuApplyResult {
  /**
   * The helper process, spawn to exit, on a tree in tmpfs: the helper's own time. On a real host
   * sysfs writes create no files; the simulated kernel does, and on a disk that is its cost.
   */
  tmpfs: SideStats;
  /** The same with the tree in the system temp dir (a disk), as a simulated host in the data dir is. */
  disk: SideStats;
  /** `node -e 0` in the same run: the floor for any Node program. */
  nodeFloor: SideStats;
  /** The helper's own work, run in this process (no Node start), tree in tmpfs. */
  inProcess: SideStats;
  writes: number;
}

/** "7 VFs, fair share, all on vfio-pci", planned as the GPU page plans it, for a fresh simulated ADL-P (docs/sriov-sysfs.md#alder-lake-p-with-two-vfs, 2 VFs). */
function freshHost(base: string): { tree: string; plan: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(base, 'tessera-bench-gpu-'));
  const tree = path.join(dir, 'host');
  buildHostTree(findSimulatedHost('adl-p'), tree);
  const inventory = readGpuInventory(createHostRoot(tree), { root: tree, simulated: null });
  const gpu = inventory.gpus[0];
  if (!gpu) throw new Error('the simulated ADL-P has no GPU');
  const preview = buildPlan(
    inventory,
    {
      kind: 'layout',
      pf: PF,
      vfCount: VFS,
      shares: presetShares(gpu, VFS, 'fair', 'keep'),
      bind: 'vfio-pci',
    },
    () => '00000000-0000-4000-8000-000000000000',
  );
  if (!preview.plan) throw new Error('nothing to plan');
  return {
    tree,
    plan: JSON.stringify(preview.plan),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function check(tree: string, result: HelperResult, output: string): number {
  const vfs = readGpuInventory(createHostRoot(tree), { root: tree, simulated: null }).gpus[0]?.vfs ?? [];
  if (!result.ok || vfs.length !== VFS || vfs.some((v) => v.driver !== 'vfio-pci'))
    throw new Error(`the helper did not make ${VFS} VFs on vfio-pci: ${output.trim()}`);
  return result.applied.reduce((n, a) => n + a.writes.length, 0);
}

/** Each run on a fresh tree (built off the clock): the helper as a process, then again in this process. */
async function timeHelper(base: string, runs: number, warmup: number, log: (line: string) => void) {
  const samples: number[] = [];
  const inProcess: number[] = [];
  let writes = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const host = freshHost(base);
    try {
      const timed = await timeChild(
        process.execPath,
        [HELPER_SCRIPT],
        { TESSERA_HOST_ROOT: host.tree },
        30_000,
        host.plan,
      );
      writes = check(host.tree, JSON.parse(timed.stdout) as HelperResult, timed.stdout);
      if (i >= warmup) samples.push(timed.ms);
    } finally {
      host.cleanup();
    }
    const again = freshHost(base);
    try {
      const started = performance.now();
      const result = runSimulatedPlan(again.plan, {
        env: { TESSERA_HOST_ROOT: again.tree },
        uid: process.getuid?.() ?? 0,
      });
      const ms = performance.now() - started;
      check(again.tree, result, JSON.stringify(result));
      if (i >= warmup) inProcess.push(ms);
    } finally {
      again.cleanup();
    }
  }
  log(
    `  ${base}: median ${round1(median(samples))} ms as a process, ${round1(median(inProcess))} ms in process`,
  );
  return { samples, writes, inProcess };
}

export async function benchGpuApply(options: {
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<GpuApplyResult> {
  if (!fs.existsSync(HELPER_SCRIPT)) throw new Error(`${HELPER_SCRIPT} is missing: npm run build makes it`);
  if (!fs.existsSync(TMPFS)) throw new Error(`${TMPFS} (tmpfs) is missing`);
  const tmpfs = await timeHelper(TMPFS, options.runs, options.warmup, options.log);
  const disk = await timeHelper(os.tmpdir(), options.runs, options.warmup, options.log);
  const floor: number[] = [];
  for (let i = 0; i < options.runs; i++) floor.push((await timeChild(process.execPath, ['-e', '0'], {})).ms);
  return {
    tmpfs: summarize('helper process, tree on tmpfs', tmpfs.samples),
    disk: summarize('helper process, tree on disk', disk.samples),
    nodeFloor: summarize('node -e 0', floor),
    inProcess: summarize('helper in process, tree on tmpfs', tmpfs.inProcess),
    writes: tmpfs.writes,
  };
}
