/**
 * A compact description of a host for the simulation: enough to build a faithful sysfs/procfs/
 * debugfs tree (docs/sriov-sysfs.md#example-hosts) and nothing the tree itself could not say.
 */
import type { DrmNodes, NewVf, PciIdentity } from '../../../simulation/kernel/pci-tree';
import type { SimConnector } from './display-outputs';
import type { UcSample } from './uc-samples';
import type { SimUsbBus } from './usb-tree';

export interface SimPciDevice extends PciIdentity {
  driver: string | null;
  iommuGroup: number | null;
  drm?: DrmNodes;
}

export type SimDriver = 'vfio-pci' | 'i915' | 'xe';

export interface SimVf extends NewVf {
  driver: SimDriver | null;
}

/** Provisioning files by group directory (`gt0`, `gt0/available`, `profile`) and attribute name. */
export type SimValues = Record<string, Record<string, number | string>>;

export type SimIov =
  | {
      kind: 'i915';
      /** docs/sriov-sysfs.md#i915-sr-iov-directory: strongtz `prelim_iov`; backports/lts `prelim_iov` plus an `iov` link; old strongtz `iov`. */
      layout: 'prelim_iov' | 'prelim_iov+iov' | 'iov';
      /** Values in `pf/` by group, e.g. `{ gt0: {...}, 'gt0/available': {...} }`. */
      pf: SimValues;
      /** Values in `vfN/` of enabled VFs (auto-provisioned fair share, docs/sriov-sysfs.md#i915-auto-provisioning); other slots read 0. */
      enabledVf: SimValues;
    }
  | {
      kind: 'xe';
      /** `pf/profile/…` and `vfN/profile/…` of docs/sriov-sysfs.md#xe-sriov_admin. */
      pfProfile: Record<string, number | string>;
      vfProfile: Record<string, number | string>;
      /** Discrete cards have `vram_quota` for VFs (docs/sriov-sysfs.md#xe-sriov_admin); `vfProfile` gives its value for enabled VFs. */
      discrete: boolean;
    };

export interface SimMdevType {
  /** `GVTg_V5_4`; the directory is `<driver>-<sysfsName>` (docs/sriov-sysfs.md#gvt-g-types). */
  sysfsName: string;
  lowGmMiB: number;
  highGmMiB: number;
  fence: number;
  resolution: string;
  weight: number;
  available: number;
}

export interface SimMdevInstance {
  uuid: string;
  type: string;
  iommuGroup: number;
}

export interface SimGpu extends SimPciDevice {
  sriov?: { totalVfs: number; autoprobe: boolean; vfDevice: string; offset: number; stride: number };
  iov?: SimIov;
  vfs: SimVf[];
  guc?: UcSample;
  huc?: UcSample;
  gvt?: { types: SimMdevType[]; instances: SimMdevInstance[] };
  /** Connectors of the GPU's card and the monitors on them (/sys/class/drm/card<N>-<name>). */
  connectors?: SimConnector[];
}

export interface SimulatedHostDescription {
  name: string;
  /** Shorter names accepted by `--simulate` (`adl-p`). */
  aliases: string[];
  title: string;
  cmdline: string;
  /** Loaded modules, as /proc/modules lists them. */
  modules: string[];
  /** /sys/module/<module>/parameters/<name>: only SR-IOV-capable builds have `max_vfs` (docs/sriov-sysfs.md#i915-module-parameters, #xe-module-parameters-and-configfs). */
  moduleParameters: Record<string, Record<string, string>>;
  iommu: boolean;
  hugepages: { sizeKiB: number; total: number; free: number }[];
  /** Whether debugfs is mounted with the DRM directories (docs/sriov-sysfs.md#guc-and-huc-in-debugfs). */
  debugfs: boolean;
  devices: SimPciDevice[];
  gpus: SimGpu[];
  /** USB buses and what is plugged into them; none when not given. */
  usb?: SimUsbBus[];
  /** kvm's ignore_msrs; the kernel's default (off) when not given. */
  kvmIgnoreMsrs?: boolean;
}
