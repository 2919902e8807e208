import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { GpuIntent } from '../../shared/gpu-plan';
import { GpuIntent as GpuIntentSchema } from '../../shared/gpu-plan';
import { poolFor, presetShares, readShares, videoScheduling } from '../../shared/gpu-shares';
import { createHostRoot } from '../fsutil/host-root';
import { readGpuInventory } from './inventory';
import { buildPlan } from './plan-builder';
import { buildHostTree } from './simulation/host-tree-builder';
import { findSimulatedHost } from './simulation/simulated-hosts';

let dir: string;
const inventories = new Map<string, GpuInventory>();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-plans-'));
  for (const name of ['adl-p', 'adl-p-maxvfs0', 'flex170', 'bmg', 'cml']) {
    const tree = path.join(dir, name);
    buildHostTree(findSimulatedHost(name), tree);
    inventories.set(name, readGpuInventory(createHostRoot(tree), { root: tree, simulated: null }));
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function inventory(name: string): GpuInventory {
  const found = inventories.get(name);
  if (!found) throw new Error(name);
  return structuredClone(found);
}

const plan = (name: string, intent: GpuIntent, inv = inventory(name)) =>
  buildPlan(inv, GpuIntentSchema.parse(intent), () => '11111111-2222-4333-8444-555555555555');

const ADL = '0000:00:02.0';

describe('shares from what the driver reports', () => {
  it('pools what is free plus what the VFs hold, and what a count change gives back', () => {
    const gpu = inventory('adl-p').gpus[0];
    if (!gpu) throw new Error('no GPU');
    const shares = readShares(gpu);
    expect(shares.driver).toBe('i915');
    expect(shares.pools.map((p) => [p.key, p.free, p.maxQuota, p.quotas.slice(0, 3)])).toEqual([
      ['ggtt', 0, 3758096384, [1879048192, 1879048192, 0]],
      ['contexts', 0, 63488, [31744, 31744, 0]],
      ['doorbells', 0, 224, [112, 112, 0]],
    ]);
    const ggtt = shares.pools[0];
    if (!ggtt) throw new Error('no pool');
    expect(poolFor(gpu, ggtt, 7)).toBe(3758096384);
    // VF2's share comes back with the count change: released by the driver or given back by the plan.
    expect(poolFor(gpu, ggtt, 1)).toBe(3758096384);
    expect(poolFor(gpu, ggtt, 2)).toBe(3758096384);
  });

  it('fair share, one big and small ones, scheduling for 60 fps', () => {
    const gpu = inventory('adl-p').gpus[0];
    if (!gpu) throw new Error('no GPU');
    expect(presetShares(gpu, 7, 'fair', 'unlimited')[6]).toEqual({
      index: 7,
      settings: {
        ggttQuotaBytes: 536870912,
        contextsQuota: 8960,
        doorbellsQuota: 32,
        execQuantumMs: 0,
        preemptTimeoutUs: 0,
      },
    });
    const big = presetShares(gpu, 4, 'one-big', 'keep');
    expect(big.map((s) => s.settings.ggttQuotaBytes)).toEqual([
      1879048192,
      626000000 - (626000000 % 2097152),
      624951296,
      624951296,
    ]);
    expect(big.map((s) => s.settings.contextsQuota)).toEqual([31744, 10496, 10496, 10496]);
    expect(videoScheduling(7)).toEqual({
      vf: { execQuantumMs: 2, preemptTimeoutUs: 8000 },
      pf: { execQuantumMs: 10, preemptTimeoutUs: 10000 },
    });
    expect(videoScheduling(1).vf).toEqual({ execQuantumMs: 16, preemptTimeoutUs: 64000 });
    expect(presetShares(gpu, 7, 'fair', 'video-60fps')[0]?.settings).toMatchObject({
      execQuantumMs: 2,
      preemptTimeoutUs: 8000,
    });
  });

  it('shares local memory on Flex and caps each share at the per-VF maximum', () => {
    const gpu = inventory('flex170').gpus[0];
    if (!gpu) throw new Error('no GPU');
    const one = presetShares(gpu, 1, 'fair', 'keep')[0]?.settings;
    // Flex 170 with one VF: all of the pooled LMEM fits under lmem_max_quota (16777216000).
    expect(one?.lmemQuotaBytes).toBe(16777216000 - (16777216000 % 2097152));
    expect(presetShares(gpu, 31, 'fair', 'keep')[30]?.settings.doorbellsQuota).toBe(7);
  });

  it('on xe leaves resources to the driver and sets only scheduling', () => {
    const gpu = inventory('bmg').gpus[0];
    if (!gpu) throw new Error('no GPU');
    expect(readShares(gpu).driver).toBe('xe');
    expect(presetShares(gpu, 3, 'fair', 'video-60fps')[2]).toEqual({
      index: 3,
      settings: { execQuantumMs: 5, preemptTimeoutUs: 10666 },
    });
  });
});

describe('buildPlan', () => {
  it('7 fair-share VFs on vfio-pci from the 2 of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs: count, shares, drivers, and the diff', () => {
    const gpu = inventory('adl-p').gpus[0];
    if (!gpu) throw new Error('no GPU');
    const preview = plan('adl-p', {
      kind: 'layout',
      pf: ADL,
      vfCount: 7,
      shares: presetShares(gpu, 7, 'fair', 'keep'),
      bind: 'vfio-pci',
    });
    const steps = preview.plan?.steps ?? [];
    expect(steps.map((s) => s.op)).toEqual([
      'set-vf-count',
      ...Array(7).fill('provision'),
      ...Array(7).fill('bind'),
    ]);
    expect(steps[1]).toEqual({
      op: 'provision',
      vf: '0000:00:02.1',
      // The VFs' auto shares are given back on disable (docs/sriov-sysfs.md#i915-auto-provisioning), so they are written; unchanged scheduling is not.
      settings: { ggttQuotaBytes: 536870912, contextsQuota: 8960, doorbellsQuota: 32 },
    });
    expect(preview.changes[0]).toEqual({ target: ADL, what: 'VFs', from: '2', to: '7' });
    // "Now" is what the files say (VF1's auto share), though the driver clears it first.
    expect(preview.changes).toContainEqual({
      target: 'VF1 0000:00:02.1',
      what: 'ggtt_quota',
      from: '1879048192',
      to: '536870912',
    });
    // VF1 was on vfio-pci and comes back on it; VF7 did not exist.
    expect(preview.changes).toContainEqual({
      target: 'VF1 0000:00:02.1',
      what: 'driver',
      from: 'vfio-pci',
      to: 'vfio-pci',
    });
    expect(preview.changes.at(-1)).toEqual({
      target: 'VF7 0000:00:02.7',
      what: 'driver',
      from: '—',
      to: 'vfio-pci',
    });
    expect(preview.summary).toBe('Alder Lake-P 0000:00:02.0: 7 VFs, on vfio-pci (29 changes)');
  });

  it('changes only what differs when the count stays', () => {
    const nothing = plan('adl-p', { kind: 'layout', pf: ADL, vfCount: 2 });
    expect(nothing).toEqual({
      plan: null,
      changes: [],
      summary: 'Nothing to change: the GPU already is as asked.',
    });
    const one = plan('adl-p', {
      kind: 'layout',
      pf: ADL,
      vfCount: 2,
      shares: [{ index: 2, settings: { ggttQuotaBytes: 1879048192, execQuantumMs: 10 } }],
      bind: 'vfio-pci',
    });
    expect(one.plan?.steps).toEqual([
      { op: 'provision', vf: '0000:00:02.2', settings: { execQuantumMs: 10 } },
      { op: 'bind', device: '0000:00:02.2', driver: 'vfio-pci' },
    ]);
    expect(one.changes).toEqual([
      { target: 'VF2 0000:00:02.2', what: 'exec_quantum_ms', from: '0', to: '10' },
      { target: 'VF2 0000:00:02.2', what: 'driver', from: 'i915', to: 'vfio-pci' },
    ]);
  });

  it('writes fair shares itself when i915 auto-provisioning is off (the driver would enable VFs with nothing)', () => {
    const inv = inventory('adl-p');
    const gpu = inv.gpus[0];
    if (!gpu?.provisioning) throw new Error('no provisioning');
    gpu.provisioning.autoProvisioning = false;
    const steps = plan('adl-p', { kind: 'layout', pf: ADL, vfCount: 3 }, inv).plan?.steps ?? [];
    expect(steps.filter((s) => s.op === 'provision')).toHaveLength(3);
  });

  it('refuses what cannot be, before any prompt', () => {
    const inv = inventory('adl-p');
    const vf1 = inv.gpus[0]?.vfs[0];
    if (!vf1) throw new Error('no VF');
    expect(() => plan('adl-p', { kind: 'layout', pf: ADL, vfCount: 8 })).toThrow(
      /8 VFs is over the driver's limit of 7/,
    );
    expect(() => plan('adl-p-maxvfs0', { kind: 'layout', pf: ADL, vfCount: 1 })).toThrow(
      /the driver allows no VFs/,
    );
    expect(() => plan('adl-p', { kind: 'layout', pf: '0000:00:02.1', vfCount: 1 })).toThrow(
      /0000:00:02.1 is a VF of 0000:00:02.0; name the GPU/,
    );
    expect(() =>
      plan('adl-p', {
        kind: 'layout',
        pf: ADL,
        vfCount: 2,
        shares: [{ index: 3, settings: { execQuantumMs: 1 } }],
      }),
    ).toThrow(/names VF3, but the layout has 2 VFs/);
    vf1.usedBy = 'desk';
    expect(() => plan('adl-p', { kind: 'layout', pf: ADL, vfCount: 3 }, inv)).toThrow(
      /VF1 is used by desk; stop those VMs first/,
    );
    expect(() => plan('adl-p', { kind: 'bind', device: '0000:00:02.1', driver: 'host' }, inv)).toThrow(
      /VF1 is used by desk/,
    );
    expect(() => plan('adl-p', { kind: 'passthrough', pf: ADL })).toThrow(/confirm it \(--take-host-display/);
    expect(() =>
      plan('adl-p', { kind: 'bind', device: ADL, driver: 'vfio-pci', takeHostDisplay: true }),
    ).toThrow(/has 2 VFs, and vfio-pci refuses a PF with VFs/);
  });

  it('provisions by kernel attribute names on VFs and PFs, on i915 and xe', () => {
    expect(
      plan('adl-p', {
        kind: 'provision',
        device: '0000:00:02.1',
        attributes: { ggtt_quota: 1073741824, exec_quantum_ms: 0 },
      }),
    ).toEqual({
      plan: {
        version: 1,
        steps: [{ op: 'provision', vf: '0000:00:02.1', settings: { ggttQuotaBytes: 1073741824 } }],
      },
      changes: [{ target: 'VF1 0000:00:02.1', what: 'ggtt_quota', from: '1879048192', to: '1073741824' }],
      summary: '0000:00:02.1: ggtt_quota 1879048192 → 1073741824',
    });
    expect(
      plan('flex170', {
        kind: 'provision',
        device: '0000:4d:00.0',
        attributes: { sched_priority: 1, lmem_spare: 0 },
      }).plan?.steps,
    ).toEqual([
      { op: 'set-pf-spare', pf: '0000:4d:00.0', settings: { schedPriority: 1, lmemSpareBytes: 0 } },
    ]);
    expect(
      plan('bmg', { kind: 'provision', device: '0000:03:00.2', attributes: { vram_quota: 4294967296 } }).plan
        ?.steps,
    ).toEqual([{ op: 'provision', vf: '0000:03:00.2', settings: { lmemQuotaBytes: 4294967296 } }]);
    expect(() =>
      plan('adl-p', { kind: 'provision', device: '0000:00:02.1', attributes: { sched_priority: 1 } }),
    ).toThrow(/sched_priority is not a VF attribute: priorities are set on the PF/);
    expect(() =>
      plan('adl-p', { kind: 'provision', device: '0000:00:02.1', attributes: { ggtt: 1 } }),
    ).toThrow(/ggtt is not a VF attribute; use exec_quantum_ms, preempt_timeout_us, ggtt_quota/);
    expect(() =>
      plan('adl-p', { kind: 'provision', device: '0000:00:02.1', attributes: { contexts_quota: 70000 } }),
    ).toThrow(/contextsQuota: Too big/);
    expect(() =>
      plan('adl-p', { kind: 'provision', device: '0000:00:09.0', attributes: { ggtt_quota: 1 } }),
    ).toThrow(/there is no Intel GPU or VF at 0000:00:09.0/);
  });

  it('binds, makes and removes vGPUs, and gives a whole GPU to one VM', () => {
    expect(plan('adl-p', { kind: 'bind', device: '0000:00:02.1', driver: 'vfio-pci' }).plan).toBeNull();
    expect(plan('adl-p', { kind: 'bind', device: '0000:00:02.2', driver: 'vfio-pci' }).changes).toEqual([
      { target: 'VF2 0000:00:02.2', what: 'driver', from: 'i915', to: 'vfio-pci' },
    ]);
    const created = plan('cml', { kind: 'mdev-create', parent: ADL, type: 'i915-GVTg_V5_8' });
    expect(created.plan?.steps).toEqual([
      {
        op: 'create-mdev',
        parent: ADL,
        type: 'i915-GVTg_V5_8',
        uuid: '11111111-2222-4333-8444-555555555555',
      },
    ]);
    expect(() => plan('cml', { kind: 'mdev-create', parent: ADL, type: 'i915-GVTg_V5_1' })).toThrow(
      /has no vGPU type i915-GVTg_V5_1; it offers i915-GVTg_V5_4, i915-GVTg_V5_8/,
    );
    const cml = plan('cml', { kind: 'passthrough', pf: ADL, takeHostDisplay: true });
    expect(cml.plan?.steps).toEqual([
      { op: 'remove-mdev', uuid: '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001' },
      { op: 'bind', device: ADL, driver: 'vfio-pci', takeHostDisplay: true },
    ]);
    const adl = plan('adl-p', { kind: 'passthrough', pf: ADL, takeHostDisplay: true });
    expect(adl.plan?.steps.map((s) => s.op)).toEqual(['set-vf-count', 'bind']);
  });
});
