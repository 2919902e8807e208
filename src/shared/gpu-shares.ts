/**
 * A GPU's shareable resources as its driver shows them (docs/sriov-sysfs.md#i915-provisioning-files `available/`, VF quotas;
 * docs/sriov-sysfs.md#xe-sriov_admin for xe) and the presets computed from them. Pure, so the GPU page draws the same numbers
 * the backend plans with.
 */
import type { Gpu } from './gpu-inventory';
import type { VfSettings } from './helper-plan';
import type { VfShare } from './gpu-plan';

export type ResourceKey = 'ggtt' | 'lmem' | 'contexts' | 'doorbells';

export const RESOURCES: readonly {
  key: ResourceKey;
  label: string;
  setting: 'ggttQuotaBytes' | 'lmemQuotaBytes' | 'contextsQuota' | 'doorbellsQuota';
  bytes: boolean;
  /**
   * Shares are rounded down to this. Contexts come in 128s (docs/sriov-sysfs.md#i915-provisioning-files); for GGTT and local memory the
   * reference names no alignment, and a multiple of 2 MiB is aligned for any the driver may use up
   * to that, so its own rounding up never changes a share.
   */
  align: number;
}[] = [
  { key: 'ggtt', label: 'GGTT', setting: 'ggttQuotaBytes', bytes: true, align: 2 * 1024 * 1024 },
  { key: 'lmem', label: 'Local memory', setting: 'lmemQuotaBytes', bytes: true, align: 2 * 1024 * 1024 },
  { key: 'contexts', label: 'GuC contexts', setting: 'contextsQuota', bytes: false, align: 128 },
  { key: 'doorbells', label: 'Doorbells', setting: 'doorbellsQuota', bytes: false, align: 1 },
];

export interface ResourcePool {
  key: ResourceKey;
  /** Not held by any VF slot nor kept as the PF's spare (`available/<r>_free`). */
  free: number;
  /** What one VF may hold at most (`available/<r>_max_quota`). */
  maxQuota: number | null;
  /** Quota per VF slot, index 0 = VF1, for every slot the driver made (docs/sriov-sysfs.md#i915-pf-and-vf-nodes). */
  quotas: number[];
}

export interface GpuShares {
  /** `i915` when the driver shows its provisioning files (docs/sriov-sysfs.md#i915-sr-iov), `xe` for sriov_admin (docs/sriov-sysfs.md#xe-sriov_admin), null for neither. */
  driver: 'i915' | 'xe' | null;
  autoProvisioning: boolean | null;
  pools: ResourcePool[];
  /** Scheduling per VF slot (index 0 = VF1), and the PF's. */
  scheduling: { execQuantumMs: number; preemptTimeoutUs: number }[];
  pfScheduling: { execQuantumMs: number; preemptTimeoutUs: number } | null;
}

const num = (v: number | string | undefined) => (typeof v === 'number' ? v : 0);

/** The numbers a GPU's provisioning files show, per VF slot. */
export function readShares(gpu: Gpu): GpuShares {
  const prov = gpu.provisioning;
  if (prov === null)
    return { driver: null, autoProvisioning: null, pools: [], scheduling: [], pfScheduling: null };
  const slots = prov.slots.filter((s) => s.function !== 'pf');
  const pf = prov.slots.find((s) => s.function === 'pf')?.values ?? {};
  if (gpu.sriovInterface === 'xe-sriov_admin') {
    const profile = (values: typeof pf) => values.profile ?? {};
    return {
      driver: 'xe',
      autoProvisioning: null,
      pools: [],
      scheduling: slots.map((s) => ({
        execQuantumMs: num(profile(s.values).exec_quantum_ms),
        preemptTimeoutUs: num(profile(s.values).preempt_timeout_us),
      })),
      pfScheduling: {
        execQuantumMs: num(profile(pf).exec_quantum_ms),
        preemptTimeoutUs: num(profile(pf).preempt_timeout_us),
      },
    };
  }
  const gt = prov.gts[0] ?? 'gt0';
  const available = pf[`${gt}/available`] ?? {};
  const pools = RESOURCES.filter((r) => typeof available[`${r.key}_free`] === 'number').map((r) => ({
    key: r.key,
    free: num(available[`${r.key}_free`]),
    maxQuota:
      typeof available[`${r.key}_max_quota`] === 'number' ? num(available[`${r.key}_max_quota`]) : null,
    quotas: slots.map((s) => num(s.values[gt]?.[`${r.key}_quota`])),
  }));
  return {
    driver: 'i915',
    autoProvisioning: prov.autoProvisioning,
    pools,
    scheduling: slots.map((s) => ({
      execQuantumMs: num(s.values[gt]?.exec_quantum_ms),
      preemptTimeoutUs: num(s.values[gt]?.preempt_timeout_us),
    })),
    pfScheduling: {
      execQuantumMs: num(pf[gt]?.exec_quantum_ms),
      preemptTimeoutUs: num(pf[gt]?.preempt_timeout_us),
    },
  };
}

/** Every enabled VF's share as the driver shows it now: its quotas and its scheduling. */
export function currentShares(gpu: Gpu): VfShare[] {
  const shares = readShares(gpu);
  return Array.from({ length: gpu.sriov?.numVfs ?? 0 }, (_, i) => {
    const settings: VfSettings = { ...shares.scheduling[i] };
    for (const pool of shares.pools) {
      const resource = RESOURCES.find((r) => r.key === pool.key);
      const quota = pool.quotas[i];
      if (resource && quota !== undefined) settings[resource.setting] = quota;
    }
    return { index: i + 1, settings };
  });
}

/**
 * What a layout of `count` VFs can share of one resource: the free part, plus what VF1..count hold
 * now (their shares are rewritten), plus, when the count changes, what every other slot holds:
 * auto-provisioned shares are released on disable (docs/sriov-sysfs.md#i915-auto-provisioning), and manual ones the plan gives back
 * (plan-builder.ts, `releaseUnusedSlots`).
 */
export function poolFor(gpu: Gpu, pool: ResourcePool, count: number): number {
  const countChanges = count !== (gpu.sriov?.numVfs ?? 0);
  return pool.quotas.reduce((sum, q, i) => sum + (i < count || countChanges ? q : 0), pool.free);
}

export type SharePreset = 'fair' | 'one-big';
export type SchedulingPreset = 'keep' | 'unlimited' | 'video-60fps';

/**
 * GuC scheduling for 60 fps: every VF gets a turn within one 16 ms frame. Derived from Intel
 * xpumanager's "Flexible_30fps_GPUTimeSlicing" profile (core/src/vgpu/vgpu_manager.cpp: VF quantum
 * max(32 ms / n, 1), preemption timeout 128 ms for one VF else max(64 ms / n, 16 ms); PF 20 ms /
 * 20 ms) with the frame halved.
 */
export function videoScheduling(count: number): {
  vf: Required<Pick<VfSettings, 'execQuantumMs' | 'preemptTimeoutUs'>>;
  pf: { execQuantumMs: number; preemptTimeoutUs: number };
} {
  return {
    vf: {
      execQuantumMs: Math.max(Math.floor(16 / Math.max(count, 1)), 1),
      preemptTimeoutUs: count <= 1 ? 64_000 : Math.max(Math.floor(32_000 / count), 8_000),
    },
    pf: { execQuantumMs: 10, preemptTimeoutUs: 10_000 },
  };
}

const alignDown = (value: number, align: number) => Math.floor(value / align) * align;

/**
 * Shares for `count` VFs from what the driver reports: `fair` splits each pool evenly; `one-big`
 * gives VF1 half and splits the rest evenly among the others. Each share is capped by the
 * driver's per-VF maximum. On xe the driver provisions resources itself (docs/sriov-sysfs.md#xe-auto-provisioning), so only
 * scheduling is set there.
 */
export function presetShares(
  gpu: Gpu,
  count: number,
  preset: SharePreset,
  scheduling: SchedulingPreset,
): VfShare[] {
  const shares = readShares(gpu);
  const video = videoScheduling(count);
  return Array.from({ length: count }, (_, i) => {
    const settings: VfSettings = {};
    for (const pool of shares.pools) {
      const resource = RESOURCES.find((r) => r.key === pool.key);
      if (!resource) continue;
      const total = poolFor(gpu, pool, count);
      const big = count > 1 && preset === 'one-big' ? alignDown(total / 2, resource.align) : null;
      const each =
        big === null
          ? alignDown(total / count, resource.align)
          : alignDown((total - big) / (count - 1), resource.align);
      const share = i === 0 && big !== null ? big : each;
      settings[resource.setting] =
        pool.maxQuota === null ? share : Math.min(share, alignDown(pool.maxQuota, resource.align));
    }
    if (scheduling === 'unlimited') Object.assign(settings, { execQuantumMs: 0, preemptTimeoutUs: 0 });
    if (scheduling === 'video-60fps') Object.assign(settings, video.vf);
    if (scheduling === 'keep') {
      const now = shares.scheduling[i];
      if (now) Object.assign(settings, now);
    }
    return { index: i + 1, settings };
  });
}
