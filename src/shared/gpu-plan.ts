/**
 * What a user asks of the GPU (an intent), the reviewed change it becomes (a plan and its diff),
 * and the record of changes made. The plan's steps are the helper's (./helper-plan).
 */
import { z } from 'zod';
import { HelperPlan, MdevTypeId, MdevUuid, PciAddress, PfSettings, VfSettings } from './helper-plan';

/** One VF's share: its number (1-based) and its settings. */
export const VfShare = z.object({ index: z.int().min(1), settings: VfSettings });
export type VfShare = z.infer<typeof VfShare>;

export const GpuIntent = z.discriminatedUnion('kind', [
  /**
   * How a GPU is split: the VF count, each VF's share (omitted: keep what the slots hold, or let the
   * driver's auto-provisioning share fairly), the PF's own settings, and where the VFs go.
   */
  z.strictObject({
    kind: z.literal('layout'),
    pf: PciAddress,
    vfCount: z.int().min(0).max(0xffff),
    shares: z.array(VfShare).optional(),
    pfSettings: PfSettings.optional(),
    bind: z.enum(['vfio-pci', 'host', 'keep']).default('keep'),
  }),
  /** Set attributes by their kernel names (`ggtt_quota=…`) on a VF, or on a PF (its spares and scheduling). */
  z.strictObject({
    kind: z.literal('provision'),
    device: PciAddress,
    attributes: z.record(z.string(), z.union([z.int().min(0), z.string()])),
  }),
  z.strictObject({
    kind: z.literal('bind'),
    device: PciAddress,
    driver: z.enum(['vfio-pci', 'host']),
    takeHostDisplay: z.boolean().default(false),
  }),
  z.strictObject({
    kind: z.literal('mdev-create'),
    parent: PciAddress,
    type: MdevTypeId,
    uuid: MdevUuid.optional(),
  }),
  z.strictObject({ kind: z.literal('mdev-remove'), uuid: MdevUuid }),
  /** The whole GPU for one VM (GVT-d): VFs and vGPUs off, the PF on vfio-pci. Takes the host's display. */
  z.strictObject({
    kind: z.literal('passthrough'),
    pf: PciAddress,
    takeHostDisplay: z.boolean().default(false),
  }),
]);
export type GpuIntent = z.input<typeof GpuIntent>;
export type ParsedGpuIntent = z.output<typeof GpuIntent>;

/** One line of the reviewed diff: what changes on which function, from what to what. */
export const PlanChange = z.object({
  /** `0000:00:02.0` or `VF3 0000:00:02.3` or a vGPU UUID. */
  target: z.string(),
  /** `VFs`, `driver`, a kernel attribute name, `vGPU`. */
  what: z.string(),
  from: z.string(),
  to: z.string(),
});
export type PlanChange = z.infer<typeof PlanChange>;

export const PlanPreview = z.object({
  /** Null when the GPU already is as asked. */
  plan: HelperPlan.nullable(),
  changes: z.array(PlanChange),
  /** One sentence for the log and the prompt. */
  summary: z.string(),
});
export type PlanPreview = z.infer<typeof PlanPreview>;

export const ChangeOrigin = z.enum(['gpu-page', 'cli', 'startup', 'vm', 'run-matrix']);
export type ChangeOrigin = z.infer<typeof ChangeOrigin>;

/** What was changed, when, by whom, and how it ended. */
export const ChangeLogEntry = z.object({
  id: z.string(),
  at: z.string(),
  /** The user the backend runs for. */
  user: z.string(),
  origin: ChangeOrigin,
  /** The host root changed (`/` or a simulated tree). */
  host: z.string(),
  summary: z.string(),
  steps: z.int(),
  writes: z.int(),
  result: z.enum(['applied', 'failed', 'rolled-back', 'partly-rolled-back']),
  error: z.string().nullable(),
});
export type ChangeLogEntry = z.infer<typeof ChangeLogEntry>;

/** A GPU's layout as applied last, kept so it can be made again after a reboot (VFs do not survive one). */
export const SavedLayout = z.object({
  pf: PciAddress,
  vfCount: z.int(),
  shares: z.array(VfShare),
  /** Driver per VF number (`vfio-pci`, `i915`, …), null for unbound. */
  drivers: z.record(z.string(), z.string().nullable()),
  savedAt: z.string(),
});
export type SavedLayout = z.infer<typeof SavedLayout>;

export const GpuPersistence = z.object({
  /** Re-apply the saved layouts when Tessera starts (one prompt on a real host). */
  reapplyAtStart: z.boolean(),
  layouts: z.array(SavedLayout),
  /** The same layouts as sysfsutils lines (/etc/sysfs.conf) for people who prefer their boot config. */
  bootConfig: z.array(z.string()),
  /** What happened at this backend's start, when it tried. */
  startup: z.string().nullable(),
});
export type GpuPersistence = z.infer<typeof GpuPersistence>;
