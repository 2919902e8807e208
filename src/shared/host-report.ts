/** What `tessera doctor` and the Host page show: host facts and the checks made from them. */
import { z } from 'zod';
import { HostIdentity, Unreadable } from './gpu-inventory';

export const CHECK_IDS = [
  'cpu-flags',
  'dev-kvm',
  'kvm',
  'ignore-msrs',
  'iommu',
  'vfio',
  'gpu',
  'driver',
  'sriov',
  'guc',
  'gvt',
  'autoprobe',
  'vfio-access',
  'qemu',
  'ovmf',
  'swtpm',
  'hugepages',
  'memlock',
] as const;
export const CheckId = z.enum(CHECK_IDS);
export type CheckId = z.infer<typeof CheckId>;

export const CheckStatus = z.enum(['pass', 'warn', 'fail', 'unknown']);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const DoctorCheck = z.object({
  id: CheckId,
  /** A short label: `IOMMU`, `GuC firmware`. */
  title: z.string(),
  status: CheckStatus,
  /** One sentence: what was found and why it matters. */
  summary: z.string(),
  /** What to change, in words (BIOS setting, package, kernel parameter); null when nothing is to be done. */
  fix: z.string().nullable(),
  /** Commands that make the fix, one per line, ready to copy. */
  commands: z.array(z.string()),
  /** False when the check does not concern this host's way of splitting its GPU (GVT-g on Alder Lake). */
  applies: z.boolean(),
  /** `host-root`: read from the (possibly simulated) host tree; `this-machine`: programs and limits of the machine Tessera runs on. */
  source: z.enum(['host-root', 'this-machine']),
  /** The GPU the check is about, when it is about one. */
  device: z.string().nullable(),
});
export type DoctorCheck = z.infer<typeof DoctorCheck>;

/**
 * What the accelerator choice was made from (src/main/host/accelerator.ts): the CPU flags and
 * /dev/kvm access that libvirt's virt-host-validate reads, and whether QEMU ran a test guest
 * under KVM (src/main/host/kvm-probe.ts).
 */
export const KvmFindings = z.object({
  /** From /proc/cpuinfo; `hypervisor`: the CPU says it is virtual. Null when unreadable. */
  cpu: z.object({ virtualization: z.enum(['vmx', 'svm']).nullable(), hypervisor: z.boolean() }).nullable(),
  devKvm: z.object({
    path: z.string(),
    access: z.enum(['read-write', 'missing', 'no-permission', 'error']),
    detail: z.string(),
  }),
  /** The test guest under KVM (raced against TCG); null when not run: an override, no /dev/kvm or no QEMU. */
  probe: z
    .object({
      ok: z.boolean(),
      reason: z.string(),
      kvmMs: z.number(),
      tcgMs: z.number().nullable(),
      /** Remembered from an earlier run in this boot with this QEMU binary. */
      cached: z.boolean(),
    })
    .nullable(),
});
export type KvmFindings = z.infer<typeof KvmFindings>;

export const HugepagePool = z.object({ sizeKiB: z.int(), total: z.int(), free: z.int() });

/** The facts the checks were made from; `null` means unreadable (see `unreadable`). */
export const HostFacts = z.object({
  cmdline: z.string().nullable(),
  /** Loaded modules from /proc/modules; null when unreadable (a kernel without modules has no such file). */
  modules: z.array(z.string()).nullable(),
  iommu: z.object({ units: z.array(z.string()), groups: z.int() }).nullable(),
  /** Whether the vfio-pci driver is registered (/sys/bus/pci/drivers/vfio-pci). */
  vfioDriver: z.boolean(),
  /** Nodes in /dev/vfio and whether this user may open them read-write (docs/sriov-sysfs.md#vfio-device-nodes). */
  devVfio: z.array(z.object({ node: z.string(), readWrite: z.boolean() })),
  hugepages: z.array(HugepagePool).nullable(),
  /** kvm's `ignore_msrs` parameter; null when kvm is not loaded or the file cannot be read. */
  kvmIgnoreMsrs: z.boolean().nullable(),
  accelerator: z.object({ accelerator: z.enum(['kvm', 'tcg']), reason: z.string() }),
  kvm: KvmFindings,
  qemu: z.union([z.object({ path: z.string(), version: z.string() }), z.object({ error: z.string() })]),
  ovmf: z.object({ ovmfCode: z.string(), ovmfVarsTemplate: z.string() }).nullable(),
  swtpm: z.string().nullable(),
  /** RLIMIT_MEMLOCK of the backend (inherited by QEMU); null = unlimited. */
  memlock: z
    .object({ softBytes: z.number().nullable(), hardBytes: z.number().nullable(), capIpcLock: z.boolean() })
    .nullable(),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const DoctorReport = z.object({
  host: HostIdentity,
  /** The worst status among the checks that apply, and one sentence on what this host can do. */
  verdict: z.object({ status: CheckStatus, summary: z.string() }),
  checks: z.array(DoctorCheck),
  facts: HostFacts,
  unreadable: z.array(Unreadable),
});
export type DoctorReport = z.infer<typeof DoctorReport>;
