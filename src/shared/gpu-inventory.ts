/**
 * The GPU as the kernel shows it in sysfs: physical functions, their SR-IOV virtual functions,
 * GVT-g mdev types and instances, GuC/HuC firmware state. Field meanings and formats follow
 * ../shared/reference/intel-gpu-virtualization-sysfs.md (cited by section).
 */
import { z } from 'zod';

/** Something Tessera looked for and could not read, with the reason (never a guess). */
export const Unreadable = z.object({ path: z.string(), reason: z.string() });
export type Unreadable = z.infer<typeof Unreadable>;

/** Which host the facts come from: `/`, a directory given with --host-root, or a simulated host. */
export const HostIdentity = z.object({
  /** The directory that holds this host's sys/, proc/ and dev/; `/` for this machine. */
  root: z.string(),
  /** Set when the root was built by Tessera's host simulation: everything from it is simulated. */
  simulated: z.object({ name: z.string(), title: z.string() }).nullable(),
});
export type HostIdentity = z.infer<typeof HostIdentity>;

/** Identity and placement of one PCI function (docs/sriov-sysfs.md#pci-device-files). Hex ids are lower case without `0x`. */
export const PciFunction = z.object({
  address: z.string(),
  vendorId: z.string(),
  deviceId: z.string(),
  /** 6 hex digits: base class, sub class, prog-if (`030000` VGA, `038000` other display). */
  classCode: z.string(),
  revision: z.string().nullable(),
  subsystemVendorId: z.string().nullable(),
  subsystemDeviceId: z.string().nullable(),
  /** Name of the bound driver (`i915`, `xe`, `vfio-pci`), null when unbound. */
  driver: z.string().nullable(),
  /** `driver_override`; null when unset (the kernel prints `(null)`). */
  driverOverride: z.string().nullable(),
  iommuGroup: z.int().nullable(),
  numaNode: z.int().nullable(),
  /** DRM nodes the function's driver made (`card0`, `renderD128`), null when it has none. */
  drmCard: z.string().nullable(),
  drmRender: z.string().nullable(),
});
export type PciFunction = z.infer<typeof PciFunction>;

/** Provisioning attribute values by group (`gt0`, `gt0/available`, `profile`), by kernel attribute name. */
export const ProvisioningValues = z.record(
  z.string(),
  z.record(z.string(), z.union([z.number(), z.string()])),
);
export type ProvisioningValues = z.infer<typeof ProvisioningValues>;

export const VirtualFunction = PciFunction.extend({
  /** The VF number as the drivers count it: 1-based (`virtfn0` is VF1, docs/sriov-sysfs.md#pci-device-files, #i915-pf-and-vf-nodes). */
  index: z.int().min(1),
  /** The VM holding this VF; null while no VM does. */
  usedBy: z.string().nullable(),
});
export type VirtualFunction = z.infer<typeof VirtualFunction>;

export const SriovState = z.object({
  /** `sriov_totalvfs`: the driver's limit, not the hardware's (docs/sriov-sysfs.md#sriov_totalvfs). */
  totalVfs: z.int(),
  numVfs: z.int(),
  /** `sriov_drivers_autoprobe`: whether new VFs get a host driver (docs/sriov-sysfs.md#driver-binding). */
  autoprobe: z.boolean().nullable(),
  /** `sriov_vf_device`: hex without `0x` (docs/sriov-sysfs.md#pci-device-files). */
  vfDeviceId: z.string().nullable(),
  offset: z.int().nullable(),
  stride: z.int().nullable(),
});
export type SriovState = z.infer<typeof SriovState>;

/**
 * Where and how this driver exposes SR-IOV provisioning: i915's per-card `prelim_iov`/`iov`
 * directory (docs/sriov-sysfs.md#i915-sr-iov-directory) or xe's per-device `sriov_admin` (docs/sriov-sysfs.md#xe-sriov_admin); `none` when the driver shows neither.
 */
export const SriovInterface = z.enum([
  'i915-prelim_iov',
  'i915-prelim_iov+iov',
  'i915-iov',
  'xe-sriov_admin',
  'none',
]);
export type SriovInterface = z.infer<typeof SriovInterface>;

export const ProvisioningSlot = z.object({
  /** `pf` or `vf1`…`vfN` (directories exist for every VF the driver allows, enabled or not, docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #xe-sriov_admin). */
  function: z.string(),
  values: ProvisioningValues,
});

export const Provisioning = z.object({
  /** The directory the values were read from, e.g. `/sys/devices/…/drm/card0/prelim_iov`. */
  home: z.string(),
  /** `SR-IOV PF` etc. from i915's `mode` (docs/sriov-sysfs.md#i915-pf-and-vf-nodes); null on xe. */
  mode: z.string().nullable(),
  /** i915 `pf/auto_provisioning` (docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #i915-auto-provisioning); null where the driver has no such file. */
  autoProvisioning: z.boolean().nullable(),
  /** GT directory names (`gt`, `gt0`, `gt1`, docs/sriov-sysfs.md#i915-sr-iov-directory); empty on xe's sriov_admin. */
  gts: z.array(z.string()),
  slots: z.array(ProvisioningSlot),
});
export type Provisioning = z.infer<typeof Provisioning>;

/** A parsed `uc/guc_info` or `uc/huc_info` (docs/sriov-sysfs.md#guc-and-huc-in-debugfs), or why it could not be read. */
export const MicrocontrollerState = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('known'),
    /** `i915/adlp_guc_70.bin`; null when the driver printed only an early-out line. */
    firmware: z.string().nullable(),
    /** `RUNNING`, `LOAD FAIL`, … or the early-out (`disabled`, `not supported`). */
    status: z.string(),
    foundVersion: z.string().nullable(),
    wantedVersion: z.string().nullable(),
    /** GuC only: the CT and submission blocks appear only when GuC submission is used. */
    submission: z.boolean().nullable(),
    source: z.string(),
  }),
  z.object({ state: z.literal('unknown'), reason: z.string() }),
]);
export type MicrocontrollerState = z.infer<typeof MicrocontrollerState>;

/** `description` of a GVT-g type (docs/sriov-sysfs.md#gvt-g-types), when it has the five known lines. */
export const MdevResources = z.object({
  lowGmSizeMiB: z.int(),
  highGmSizeMiB: z.int(),
  fence: z.int(),
  resolution: z.string(),
  weight: z.int(),
});
export type MdevResources = z.infer<typeof MdevResources>;

export const MdevType = z.object({
  /** Directory name, `i915-GVTg_V5_4` (docs/sriov-sysfs.md#gvt-g-types). */
  id: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  resources: MdevResources.nullable(),
  availableInstances: z.int().nullable(),
  deviceApi: z.string().nullable(),
  /** UUIDs of the instances of this type. */
  instances: z.array(z.string()),
});
export type MdevType = z.infer<typeof MdevType>;

export const MdevInstance = z.object({
  uuid: z.string(),
  type: z.string().nullable(),
  iommuGroup: z.int().nullable(),
  usedBy: z.string().nullable(),
});

/** What the reference's platform table (docs/sriov-sysfs.md#device-ids, #gvt-g) says about this GPU's device id. */
export const PlatformSupport = z.object({
  discrete: z.boolean(),
  /** Drivers that can run it as an SR-IOV PF: the i915-sriov-dkms module, Intel's i915 backports, upstream xe. */
  sriovDrivers: z.array(z.enum(['i915-sriov-dkms', 'i915-backports', 'xe'])),
  gvt: z.boolean(),
  /** The usual `sriov_totalvfs` with a driver that allows all (docs/sriov-sysfs.md#device-ids), null where unconfirmed. */
  typicalVfs: z.int().nullable(),
});
export type PlatformSupport = z.infer<typeof PlatformSupport>;

export const Gpu = PciFunction.extend({
  /** `Alder Lake-P`, or `Intel GPU 8086:xxxx` when the id is not in Tessera's table. */
  name: z.string(),
  /** Platform code from the reference's table (docs/sriov-sysfs.md#device-ids): `ADL-P`, `ATS-M150`, `BMG`, … */
  platform: z.string().nullable(),
  /** Null when the device id is not in Tessera's table. */
  support: PlatformSupport.nullable(),
  sriov: SriovState.nullable(),
  sriovInterface: SriovInterface,
  /** Whether the driver's module has a `max_vfs` parameter: only SR-IOV-capable i915/xe builds do (docs/sriov-sysfs.md#i915-module-parameters, #xe-module-parameters-and-configfs). */
  driverHasMaxVfs: z.boolean().nullable(),
  provisioning: Provisioning.nullable(),
  vfs: z.array(VirtualFunction),
  mdevTypes: z.array(MdevType),
  mdevInstances: z.array(MdevInstance),
  guc: MicrocontrollerState,
  huc: MicrocontrollerState,
});
export type Gpu = z.infer<typeof Gpu>;

export const GpuInventory = z.object({
  host: HostIdentity,
  /** Intel display-class physical functions, each with its VFs and mdevs. */
  gpus: z.array(Gpu),
  /** Display-class functions of other vendors: shown so that "no Intel GPU" is never a mystery. */
  otherDisplays: z.array(PciFunction),
  unreadable: z.array(Unreadable),
});
export type GpuInventory = z.infer<typeof GpuInventory>;
