import type { Provisioning, ProvisioningValues, SriovInterface } from '../../shared/gpu-inventory';
import type { HostReader } from '../fsutil/host-reader';

// Readable provisioning attributes by directory (docs/sriov-sysfs.md#i915-provisioning-files for i915, docs/sriov-sysfs.md#xe-sriov_admin for xe). Write-only files
// (`control`, `stop`, `.bulk_profile/*`) and the binary `state` are never read.
const I915_PF_GT = [
  'exec_quantum_ms',
  'preempt_timeout_us',
  'sched_priority',
  'ggtt_spare',
  'contexts_spare',
  'doorbells_spare',
  'lmem_spare',
  'contexts_quota',
  'doorbells_quota',
];
const I915_PF_AVAILABLE = [
  'ggtt_free',
  'ggtt_max_quota',
  'contexts_free',
  'contexts_max_quota',
  'doorbells_free',
  'doorbells_max_quota',
  'lmem_free',
  'lmem_max_quota',
];
const I915_PF_POLICIES = ['sched_if_idle', 'engine_reset', 'sample_period_ms'];
const I915_VF_GT = [
  'exec_quantum_ms',
  'preempt_timeout_us',
  'ggtt_quota',
  'lmem_quota',
  'contexts_quota',
  'doorbells_quota',
];
/** Adverse-event thresholds under `vfN/<gt>/threshold/` (docs/sriov-sysfs.md#i915-provisioning-files, `IOV_THRESHOLDS`). */
export const I915_VF_THRESHOLD = [
  'cat_error_count',
  'engine_reset_count',
  'page_fault_count',
  'h2g_time_us',
  'irq_time_us',
  'doorbell_time_us',
];
const XE_PROFILE = ['exec_quantum_ms', 'preempt_timeout_us', 'sched_priority', 'vram_quota'];

/** `%u`/`%llu` values as numbers; xe's `[low] normal high` choice as the bracketed one (docs/sriov-sysfs.md#xe-sriov_admin `emit_choice`). */
export function parseAttribute(text: string): number | string {
  if (/^\d+$/.test(text)) return Number(text);
  return /\[(\w+)\]/.exec(text)?.[1] ?? text;
}

function readGroup(
  reader: HostReader,
  dir: string,
  names: readonly string[],
): Record<string, number | string> {
  const values: Record<string, number | string> = {};
  for (const name of names) {
    const text = reader.text(`${dir}/${name}`);
    if (text !== null) values[name] = parseAttribute(text);
  }
  return values;
}

const bySlotNumber = (a: string, b: string) => Number(a.slice(2)) - Number(b.slice(2));

/**
 * Where this PF's driver keeps SR-IOV provisioning: the card's `prelim_iov` (with or without an
 * `iov` link to it) or `iov` for i915 (docs/sriov-sysfs.md#i915-sr-iov-directory: probe prelim_iov first, then iov), `sriov_admin` on
 * the PCI device for xe (docs/sriov-sysfs.md#xe-sriov_admin).
 */
export function findSriovInterface(
  reader: HostReader,
  deviceDir: string,
  drmCard: string | null,
): { kind: SriovInterface; home: string | null } {
  if (drmCard !== null) {
    const card = `${deviceDir}/drm/${drmCard}`;
    const prelim = reader.root.kind(`${card}/prelim_iov`);
    const iov = reader.root.kind(`${card}/iov`);
    if (prelim.ok && prelim.value === 'dir') {
      const aliased = iov.ok && iov.value === 'link' && reader.root.readLink(`${card}/iov`);
      const alias = aliased && aliased.ok && aliased.value === 'prelim_iov';
      return { kind: alias ? 'i915-prelim_iov+iov' : 'i915-prelim_iov', home: `${card}/prelim_iov` };
    }
    if (iov.ok && iov.value === 'dir') return { kind: 'i915-iov', home: `${card}/iov` };
  }
  const admin = reader.root.kind(`${deviceDir}/sriov_admin`);
  if (admin.ok && admin.value === 'dir') return { kind: 'xe-sriov_admin', home: `${deviceDir}/sriov_admin` };
  return { kind: 'none', home: null };
}

export function readProvisioning(reader: HostReader, kind: SriovInterface, home: string): Provisioning {
  const vfSlots = reader
    .list(home)
    .filter((e) => /^vf\d+$/.test(e))
    .sort(bySlotNumber);
  if (kind === 'xe-sriov_admin') {
    return {
      home,
      mode: null,
      autoProvisioning: null,
      gts: [],
      slots: ['pf', ...vfSlots].map((slot) => ({
        function: slot,
        values: { profile: readGroup(reader, `${home}/${slot}/profile`, XE_PROFILE) },
      })),
    };
  }
  // docs/sriov-sysfs.md#i915-sr-iov-directory: GT directories are `gt` on single-tile backports parts, `gt0`/`gt1` elsewhere.
  const gts = reader.list(`${home}/pf`).filter((e) => /^gt\d*$/.test(e));
  const auto = reader.text(`${home}/pf/auto_provisioning`);
  const pf: ProvisioningValues = {};
  for (const gt of gts) {
    pf[gt] = readGroup(reader, `${home}/pf/${gt}`, I915_PF_GT);
    pf[`${gt}/available`] = readGroup(reader, `${home}/pf/${gt}/available`, I915_PF_AVAILABLE);
    pf[`${gt}/policies`] = readGroup(reader, `${home}/pf/${gt}/policies`, I915_PF_POLICIES);
  }
  return {
    home,
    mode: reader.text(`${home}/mode`),
    autoProvisioning: auto === null ? null : auto === '1',
    gts,
    slots: [
      { function: 'pf', values: pf },
      ...vfSlots.map((slot) => {
        const values: ProvisioningValues = {};
        for (const gt of gts) {
          values[gt] = readGroup(reader, `${home}/${slot}/${gt}`, I915_VF_GT);
          values[`${gt}/threshold`] = readGroup(reader, `${home}/${slot}/${gt}/threshold`, I915_VF_THRESHOLD);
        }
        return { function: slot, values };
      }),
    ],
  };
}
