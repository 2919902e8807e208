/**
 * What the privileged helper accepts on stdin and answers on stdout. The backend builds plans with
 * these types and the helper parses them with these schemas, so both sides agree by construction.
 * Every write a step makes and every errno it may meet are in
 * ../shared/reference/intel-gpu-virtualization-sysfs.md (cited by section).
 */
import { z } from 'zod';
import { BDF_PATTERN, MDEV_UUID_PATTERN } from './pci-address';

export const PciAddress = z
  .string()
  .regex(BDF_PATTERN, 'must be a PCI address in sysfs form, like 0000:00:02.1');
export const MdevUuid = z
  .string()
  .regex(MDEV_UUID_PATTERN, 'must be a lower-case UUID, like 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001');
/** A directory name under `mdev_supported_types/` (docs/sriov-sysfs.md#gvt-g-types: `i915-GVTg_V5_4`): no slash, no dot-dot. */
export const MdevTypeId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a vGPU type name, like i915-GVTg_V5_4');

// Widths of the kernel's parsers (docs/sriov-sysfs.md#i915-provisioning-files: kstrtou32/u16/u64; docs/sriov-sysfs.md#writing-sriov_numvfs: u16 for sriov_numvfs).
const u32 = z.int().min(0).max(0xffff_ffff);
const u16 = z.int().min(0).max(0xffff);
/** Byte counts are u64 in the kernel; JSON numbers are exact up to 2^53, which is enough for any GPU. */
const bytes = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

const nonEmpty = (settings: object) => Object.keys(settings).length > 0;

/** A VF's share (docs/sriov-sysfs.md#i915-provisioning-files `vfN/<gt>/…` on i915, docs/sriov-sysfs.md#xe-sriov_admin `vfN/profile/…` on xe). */
export const VfSettings = z
  .strictObject({
    execQuantumMs: u32.optional(),
    preemptTimeoutUs: u32.optional(),
    ggttQuotaBytes: bytes.optional(),
    /** `lmem_quota` on i915, `vram_quota` on xe: discrete cards only. */
    lmemQuotaBytes: bytes.optional(),
    contextsQuota: u16.optional(),
    doorbellsQuota: u16.optional(),
  })
  .refine(nonEmpty, 'name at least one setting');
export type VfSettings = z.infer<typeof VfSettings>;

/** What the PF keeps for itself and its scheduling (docs/sriov-sysfs.md#i915-provisioning-files `pf/<gt>/…`, docs/sriov-sysfs.md#xe-sriov_admin `pf/profile/…`). */
export const PfSettings = z
  .strictObject({
    execQuantumMs: u32.optional(),
    preemptTimeoutUs: u32.optional(),
    /** i915 backports: a u8 level (docs/sriov-sysfs.md#i915-provisioning-files); xe: `low`, `normal` or `high` (docs/sriov-sysfs.md#xe-sriov_admin). */
    schedPriority: z.union([z.int().min(0).max(255), z.enum(['low', 'normal', 'high'])]).optional(),
    ggttSpareBytes: bytes.optional(),
    lmemSpareBytes: bytes.optional(),
    contextsSpare: u16.optional(),
    doorbellsSpare: u16.optional(),
  })
  .refine(nonEmpty, 'name at least one setting');
export type PfSettings = z.infer<typeof PfSettings>;

/** The kernel's attribute name for each setting (i915 names, docs/sriov-sysfs.md#i915-provisioning-files); the CLI takes these names. */
export const VF_SETTING_ATTRIBUTES = {
  execQuantumMs: 'exec_quantum_ms',
  preemptTimeoutUs: 'preempt_timeout_us',
  ggttQuotaBytes: 'ggtt_quota',
  lmemQuotaBytes: 'lmem_quota',
  contextsQuota: 'contexts_quota',
  doorbellsQuota: 'doorbells_quota',
} as const satisfies Record<keyof VfSettings, string>;

export const PF_SETTING_ATTRIBUTES = {
  execQuantumMs: 'exec_quantum_ms',
  preemptTimeoutUs: 'preempt_timeout_us',
  schedPriority: 'sched_priority',
  ggttSpareBytes: 'ggtt_spare',
  lmemSpareBytes: 'lmem_spare',
  contextsSpare: 'contexts_spare',
  doorbellsSpare: 'doorbells_spare',
} as const satisfies Record<keyof PfSettings, string>;

export const HelperStep = z.discriminatedUnion('op', [
  /** Enable `count` VFs on a PF (0 disables them); the helper writes 0 first when VFs exist (docs/sriov-sysfs.md#writing-sriov_numvfs step 7). */
  z.strictObject({ op: z.literal('set-vf-count'), pf: PciAddress, count: u16 }),
  /** Set a VF's share; the VF need not be enabled (every slot exists, docs/sriov-sysfs.md#i915-pf-and-vf-nodes), and may be created later in the plan. */
  z.strictObject({ op: z.literal('provision'), vf: PciAddress, settings: VfSettings }),
  z.strictObject({ op: z.literal('set-pf-spare'), pf: PciAddress, settings: PfSettings }),
  /**
   * Bind a VF or a PF to vfio-pci, or give it back to the host's GPU driver (docs/sriov-sysfs.md#driver-binding), or leave it on
   * no driver with no override (how a VF that came up without one is given back). Taking a PF
   * from the host's GPU driver takes the host's display with it: the plan must say so.
   */
  z.strictObject({
    op: z.literal('bind'),
    device: PciAddress,
    driver: z.enum(['vfio-pci', 'host', 'none']),
    takeHostDisplay: z.literal(true).optional(),
  }),
  /** Give `/dev/vfio/<group>` of a vfio-bound device or a vGPU to the calling user (docs/sriov-sysfs.md#vfio-device-nodes, #unprivileged-qemu-with-vfio). */
  z.strictObject({ op: z.literal('grant-vfio'), device: z.union([PciAddress, MdevUuid]) }),
  /** Raise RLIMIT_MEMLOCK of the caller's QEMU (docs/sriov-sysfs.md#unprivileged-qemu-with-vfio); see the helper for why it answers UNSUPPORTED. */
  z.strictObject({
    op: z.literal('set-memlock'),
    pid: z.int().min(2).max(4_194_304), // PID_MAX_LIMIT on 64-bit
    bytes,
  }),
  z.strictObject({ op: z.literal('create-mdev'), parent: PciAddress, type: MdevTypeId, uuid: MdevUuid }),
  z.strictObject({ op: z.literal('remove-mdev'), uuid: MdevUuid }),
  /**
   * Give the node of the USB device at `address` on `bus` (`/dev/bus/usb/BBB/DDD`) to the calling
   * user for a VM's run (`caller`), or back to root when it ends. Bus numbers are 1–255 and
   * addresses 1–127 (USB 2.0 §9.4.6).
   */
  z.strictObject({
    op: z.literal('grant-usb'),
    bus: z.int().min(1).max(255),
    address: z.int().min(1).max(127),
    to: z.enum(['caller', 'root']),
  }),
]);
export type HelperStep = z.infer<typeof HelperStep>;
export type HelperOp = HelperStep['op'];

export const HELPER_PLAN_VERSION = 1;
export const MAX_PLAN_STEPS = 512;

export const HelperPlan = z.strictObject({
  version: z.literal(HELPER_PLAN_VERSION),
  steps: z.array(HelperStep).min(1).max(MAX_PLAN_STEPS),
});
export type HelperPlan = z.infer<typeof HelperPlan>;

/** One write (or ownership change) the helper made, with host paths (`/sys/…`), in the order made. */
export const HelperWrite = z.object({ path: z.string(), value: z.string() });
export type HelperWrite = z.infer<typeof HelperWrite>;

export const AppliedStep = z.object({ step: z.int(), op: z.string(), writes: z.array(HelperWrite) });
export type AppliedStep = z.infer<typeof AppliedStep>;

/**
 * Why a plan failed. `errno` is the kernel's answer when a write failed; the message says it in
 * words. BAD_PLAN / BAD_TARGET / OUT_OF_RANGE / IN_USE / HOST_DISPLAY / ROOT_REFUSED are found
 * before anything is written.
 */
export const HelperErrorCode = z.enum([
  'BAD_PLAN',
  'BAD_TARGET',
  'OUT_OF_RANGE',
  'IN_USE',
  'HOST_DISPLAY',
  'ROOT_REFUSED',
  'BUSY',
  'UNSUPPORTED',
  'KERNEL',
  'INTERNAL',
]);
export type HelperErrorCode = z.infer<typeof HelperErrorCode>;

export const HelperError = z.object({
  code: HelperErrorCode,
  message: z.string(),
  /** Index of the step in the plan as sent; null for the plan as a whole. */
  step: z.int().nullable(),
  errno: z.string().optional(),
});
export type HelperError = z.infer<typeof HelperError>;

export const HelperResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), applied: z.array(AppliedStep) }),
  z.object({
    ok: z.literal(false),
    error: HelperError,
    /** Steps completed before the failure (all undone when `undoFailures` is empty). */
    applied: z.array(AppliedStep),
    /** Writes made to undo them, in order. */
    undone: z.array(HelperWrite),
    /** What could not be undone, in words; the host is left as these say. */
    undoFailures: z.array(z.string()),
  }),
]);
export type HelperResult = z.infer<typeof HelperResult>;
