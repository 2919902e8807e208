/**
 * The layout a user is editing on the GPU page: how many VFs, each VF's share, where the VFs go.
 * Pure, so the bars and presets are tested without a browser; the numbers come from what the
 * driver reports (../../../../shared/gpu-shares).
 */
import type { Gpu } from '../../../../shared/gpu-inventory';
import type { GpuIntent } from '../../../../shared/gpu-plan';
import type { VfSettings } from '../../../../shared/helper-plan';
import type { LayoutDraft } from '../../stores/gpu-store';
import {
  RESOURCES,
  currentShares,
  poolFor,
  presetShares,
  readShares,
  videoScheduling,
  type ResourceKey,
} from '../../../../shared/gpu-shares';

export type PresetName = 'fair' | 'one-big' | 'video-60fps';

const SCHEDULING_KEYS = ['execQuantumMs', 'preemptTimeoutUs'] as const;

/** The GPU as it is: its VF count and every enabled VF's share as the driver shows it. */
export function draftFromGpu(gpu: Gpu): LayoutDraft {
  return { pf: gpu.address, vfCount: gpu.sriov?.numVfs ?? 0, shares: currentShares(gpu), bind: 'keep' };
}

const schedulingOf = (settings: VfSettings): VfSettings =>
  Object.fromEntries(SCHEDULING_KEYS.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));

/** A new count: shares become the fair preset for it, scheduling stays as edited where the VF stays. */
export function withCount(gpu: Gpu, draft: LayoutDraft, count: number): LayoutDraft {
  const fair = presetShares(gpu, count, 'fair', 'keep');
  return {
    ...draft,
    vfCount: count,
    shares: fair.map((share) => {
      const before = draft.shares.find((s) => s.index === share.index);
      return before ? { ...share, settings: { ...share.settings, ...schedulingOf(before.settings) } } : share;
    }),
  };
}

/** A preset: `fair` and `one-big` set the resources, `video-60fps` the scheduling; the other half stays. */
export function withPreset(gpu: Gpu, draft: LayoutDraft, preset: PresetName): LayoutDraft {
  if (preset === 'video-60fps') {
    const { vf } = videoScheduling(draft.vfCount);
    return { ...draft, shares: draft.shares.map((s) => ({ ...s, settings: { ...s.settings, ...vf } })) };
  }
  const computed = presetShares(gpu, draft.vfCount, preset, 'keep');
  return {
    ...draft,
    shares: computed.map((share) => {
      const before = draft.shares.find((s) => s.index === share.index);
      return { ...share, settings: { ...share.settings, ...(before ? schedulingOf(before.settings) : {}) } };
    }),
  };
}

export function withShare(
  draft: LayoutDraft,
  index: number,
  key: keyof VfSettings,
  value: number,
): LayoutDraft {
  return {
    ...draft,
    shares: draft.shares.map((s) =>
      s.index === index ? { ...s, settings: { ...s.settings, [key]: value } } : s,
    ),
  };
}

export function intentOf(draft: LayoutDraft): GpuIntent {
  return { kind: 'layout', pf: draft.pf, vfCount: draft.vfCount, shares: draft.shares, bind: draft.bind };
}

export interface Bar {
  key: ResourceKey;
  /** The share each VF sets for this resource: the ShareTable column its problem points at. */
  setting: (typeof RESOURCES)[number]['setting'];
  label: string;
  bytes: boolean;
  /** What this layout can share: free now plus what the rewritten and released VF shares hold. */
  total: number;
  segments: { index: number; value: number }[];
  free: number;
  /** A VF over the driver's per-VF maximum, or the shares together over the total. */
  problem: string | null;
  /** The VFs whose field in this resource's column the problem is about. */
  problemVfs: number[];
}

/** The id of a bar's problem text, which the share fields it is about point at. */
export const problemId = (pf: string, key: string) => `bar-${pf}-${key}-problem`;

/** One stacked bar per resource the driver shows (GGTT, local memory, contexts, doorbells). */
export function resourceBars(gpu: Gpu, draft: LayoutDraft): Bar[] {
  const shares = readShares(gpu);
  return shares.pools.flatMap((pool) => {
    const resource = RESOURCES.find((r) => r.key === pool.key);
    if (!resource) return [];
    const total = poolFor(gpu, pool, draft.vfCount);
    const segments = draft.shares.map((s) => ({ index: s.index, value: s.settings[resource.setting] ?? 0 }));
    const used = segments.reduce((n, s) => n + s.value, 0);
    const tooBig = pool.maxQuota === null ? undefined : segments.find((s) => s.value > (pool.maxQuota ?? 0));
    const problem =
      used > total
        ? `${resource.label}: the shares add up to ${formatAmount(used, resource.bytes)}, ${formatAmount(used - total, resource.bytes)} more than there is`
        : tooBig
          ? `${resource.label}: VF${tooBig.index} is over the driver's maximum for one VF (${formatAmount(pool.maxQuota ?? 0, resource.bytes)})`
          : null;
    return [
      {
        key: pool.key,
        setting: resource.setting,
        label: resource.label,
        bytes: resource.bytes,
        total,
        segments,
        free: Math.max(total - used, 0),
        problem,
        problemVfs:
          used > total
            ? segments.filter((s) => s.value > 0).map((s) => s.index)
            : tooBig
              ? [tooBig.index]
              : [],
      },
    ];
  });
}

export function formatAmount(value: number, bytes: boolean): string {
  if (!bytes) return String(value);
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)} GiB`;
  return `${Math.round(value / 1024 ** 2)} MiB`;
}
