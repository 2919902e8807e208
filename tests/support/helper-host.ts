import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import type { HelperResult } from '../../src/shared/helper-plan';
import { createHostRoot } from '../../src/main/fsutil/host-root';
import { readGpuInventory } from '../../src/main/gpu/inventory';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import type { SimulatedHostDescription } from '../../src/main/gpu/simulation/host-description';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { runSimulatedPlan } from '../../src/simulation/run-simulated-plan';
import type { KernelWriter } from '../../src/simulation/kernel';

export interface HelperHost {
  dir: string;
  /** Where a host path is in the tree. */
  at(hostPath: string): string;
  /** Run the helper in this process on the tree, as the backend's child process would. */
  run(
    steps: unknown[] | string,
    options?: { env?: Record<string, string>; uid?: number; writer?: KernelWriter },
  ): HelperResult;
  inventory(): GpuInventory;
  cleanup(): void;
}

/** A fresh simulated host in a temp dir, and the helper pointed at it. */
export function helperHost(host: string | SimulatedHostDescription): HelperHost {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-helper-'));
  const tree = path.join(dir, 'host');
  buildHostTree(typeof host === 'string' ? findSimulatedHost(host) : host, tree);
  return {
    dir: tree,
    at: (hostPath) => path.join(tree, hostPath),
    run(steps, options = {}) {
      const input = typeof steps === 'string' ? steps : JSON.stringify({ version: 1, steps });
      return runSimulatedPlan(input, {
        env: { TESSERA_HOST_ROOT: tree, ...options.env },
        uid: options.uid ?? process.getuid?.() ?? 0,
        ...(options.writer ? { writer: options.writer } : {}),
      });
    },
    inventory: () => readGpuInventory(createHostRoot(tree), { root: tree, simulated: null }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export type Entry =
  | { kind: 'file'; content: string; mode: number; uid: number }
  | { kind: 'link'; target: string }
  | { kind: 'dir'; mode: number }
  | { kind: 'socket'; mode: number };

/** Every file's content, mode and owner, every link's text, every directory: what "nothing changed" means. */
export function snapshotTree(dir: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const walk = (relative: string) => {
    const full = path.join(dir, relative);
    const stat = fs.lstatSync(full);
    if (stat.isSymbolicLink()) entries.set(relative, { kind: 'link', target: fs.readlinkSync(full) });
    else if (stat.isSocket()) entries.set(relative, { kind: 'socket', mode: stat.mode & 0o7777 });
    else if (stat.isDirectory()) {
      entries.set(relative, { kind: 'dir', mode: stat.mode & 0o7777 });
      for (const name of fs.readdirSync(full)) walk(path.join(relative, name));
    } else
      entries.set(relative, {
        kind: 'file',
        content: fs.readFileSync(full, 'latin1'),
        mode: stat.mode & 0o7777,
        uid: stat.uid,
      });
  };
  walk('.');
  return entries;
}

/** The paths whose entry differs between two snapshots (added, removed or changed). */
export function changedPaths(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => JSON.stringify(before.get(p)) !== JSON.stringify(after.get(p))).sort();
}

/** What a VF layout is, without the IOMMU group numbers the kernel hands out anew each time. */
export function layoutOf(inventory: GpuInventory) {
  return inventory.gpus.map((g) => ({
    pf: g.address,
    driver: g.driver,
    sriov: g.sriov,
    vfs: g.vfs.map((v) => ({
      address: v.address,
      driver: v.driver,
      override: v.driverOverride,
      grouped: v.iommuGroup !== null,
    })),
    provisioning: g.provisioning?.slots,
    autoProvisioning: g.provisioning?.autoProvisioning ?? null,
    mdevTypes: g.mdevTypes.map((t) => [t.id, t.availableInstances, t.instances]),
  }));
}
