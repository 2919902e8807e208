/**
 * What the helper reads about a PCI function before it writes anything (docs/sriov-sysfs.md#pci-device-files, #driver-binding,
 * docs/sriov-sysfs.md#iommu-groups, #i915-sr-iov-directory, #xe-sriov_admin). Every link is resolved and must land where the kernel puts such things; a
 * function whose links say otherwise is not a target.
 */
import path from 'node:path';
import { isBdf, vfAddress } from '../shared/pci-address';
import type { HostFiles } from './host-files';

export const PCI_DEVICES = '/sys/bus/pci/devices';
export const PCI_DRIVERS = '/sys/bus/pci/drivers';
const INTEL = '8086';

export interface PciFacts {
  address: string;
  /** Canonical sysfs directory, `/sys/devices/…/<address>`. */
  at: string;
  vendor: string | null;
  /** Six hex digits: `030000`. */
  classCode: string | null;
  /** Name of the bound driver, from a `driver` link into /sys/bus/pci/drivers. */
  driver: string | null;
  /** `driver_override` as stored, null when unset (`(null)`). */
  override: string | null;
  iommuGroup: number | null;
  /** The PF's directory when this is a VF whose PF lists it back (`physfn` ↔ `virtfnN`). */
  pfAt: string | null;
  /** 1-based VF number when this is a VF. */
  index: number | null;
  /** Set when `physfn` exists but the PF does not list this VF: not a VF of that PF. */
  strayVf: boolean;
  /** A link of the device that leads where the kernel never puts it (its driver, its group), said in words. */
  brokenLink: string | null;
}

export interface SriovFacts {
  totalVfs: number;
  numVfs: number;
  autoprobe: boolean;
  offset: number;
  stride: number;
}

/** Where the PF driver keeps provisioning: i915's home and GT directory (docs/sriov-sysfs.md#i915-sr-iov-directory) or xe's sriov_admin (docs/sriov-sysfs.md#xe-sriov_admin). */
export type SriovHome = { kind: 'i915'; dir: string; gt: string } | { kind: 'xe'; dir: string } | null;

const hexOf = (text: string | null, digits: number) => {
  const match = text?.trim().match(new RegExp(`^0x([0-9a-f]{${digits}})$`));
  return match?.[1] ?? null;
};
const intOf = (text: string | null) => {
  const value = text?.trim();
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : null;
};

/** The canonical directory of a PCI function, when /sys/bus/pci/devices/<address> leads to one. */
export function deviceDir(files: HostFiles, address: string): string | null {
  if (!isBdf(address)) return null;
  const at = files.real(`${PCI_DEVICES}/${address}`);
  return at !== null && at.startsWith('/sys/devices/') && path.posix.basename(at) === address ? at : null;
}

/** The basename of a link's canonical target when it lies inside `parent`. */
function linkedName(files: HostFiles, hostPath: string, parent: string): string | null {
  const target = files.inside(hostPath, parent);
  return target !== null && path.posix.dirname(target) === parent ? path.posix.basename(target) : null;
}

export function readPci(files: HostFiles, address: string): PciFacts | null {
  const at = deviceDir(files, address);
  if (at === null) return null;
  const group = linkedName(files, `${at}/iommu_group`, '/sys/kernel/iommu_groups');
  const driver = linkedName(files, `${at}/driver`, PCI_DRIVERS);
  const brokenLink =
    files.linkText(`${at}/driver`) !== null && driver === null
      ? `${address}/driver does not lead into ${PCI_DRIVERS}`
      : files.linkText(`${at}/iommu_group`) !== null && group === null
        ? `${address}/iommu_group does not lead into /sys/kernel/iommu_groups`
        : null;
  const override = files.read(`${at}/driver_override`)?.trim() ?? null;
  let pfAt: string | null = null;
  let index: number | null = null;
  let strayVf = false;
  if (files.linkText(`${at}/physfn`) !== null) {
    // A VF belongs to the PF its `physfn` names only if that PF lists it back as `virtfn<N-1>`,
    // where N follows from the PF's offset and stride (docs/sriov-sysfs.md#pci-device-files).
    strayVf = true;
    const pf = files.real(`${at}/physfn`);
    const pfAddress = pf === null ? null : path.posix.basename(pf);
    const sriov = pf === null ? null : readSriov(files, pf);
    if (pf !== null && pfAddress !== null && sriov !== null && deviceDir(files, pfAddress) === pf) {
      for (let n = 1; n <= sriov.totalVfs; n++) {
        if (vfAddress(pfAddress, n, sriov.offset, sriov.stride) !== address) continue;
        if (files.real(`${pf}/virtfn${n - 1}`) === at) {
          pfAt = pf;
          index = n;
          strayVf = false;
        }
        break;
      }
    }
  }
  return {
    address,
    at,
    vendor: hexOf(files.read(`${at}/vendor`), 4),
    classCode: hexOf(files.read(`${at}/class`), 6),
    driver,
    override: override === null || override === '(null)' || override === '' ? null : override,
    iommuGroup: group !== null && /^\d+$/.test(group) ? Number(group) : null,
    pfAt,
    index,
    strayVf,
    brokenLink,
  };
}

/** The driver a device is bound to now (docs/sriov-sysfs.md#driver-binding), read alone: what a bind checks after each write. */
export function readDriver(files: HostFiles, at: string): string | null {
  return linkedName(files, `${at}/driver`, PCI_DRIVERS);
}

/** An Intel display-class function (PCI base class 0x03, docs/sriov-sysfs.md#pci-device-files): the only devices the helper touches. */
export function isIntelDisplay(fn: PciFacts): boolean {
  return fn.vendor === INTEL && fn.classCode !== null && fn.classCode.startsWith('03');
}

/** The PF-only SR-IOV attributes (docs/sriov-sysfs.md#pci-device-files); null on a function without the capability. */
export function readSriov(files: HostFiles, at: string): SriovFacts | null {
  const totalVfs = intOf(files.read(`${at}/sriov_totalvfs`));
  const numVfs = intOf(files.read(`${at}/sriov_numvfs`));
  if (totalVfs === null || numVfs === null) return null;
  return {
    totalVfs,
    numVfs,
    autoprobe: files.read(`${at}/sriov_drivers_autoprobe`)?.trim() === '1',
    offset: intOf(files.read(`${at}/sriov_offset`)) ?? 1,
    stride: intOf(files.read(`${at}/sriov_stride`)) ?? 1,
  };
}

/** i915: the card's `prelim_iov`, else `iov`, and its first GT directory (docs/sriov-sysfs.md#i915-sr-iov-directory); xe: `sriov_admin` (docs/sriov-sysfs.md#xe-sriov_admin). */
export function readSriovHome(files: HostFiles, pfAt: string): SriovHome {
  const card = files.list(`${pfAt}/drm`).find((e) => /^card\d+$/.test(e));
  if (card !== undefined) {
    for (const name of ['prelim_iov', 'iov']) {
      const dir = files.inside(`${pfAt}/drm/${card}/${name}`, pfAt);
      const gt = dir === null ? undefined : files.list(`${dir}/pf`).find((e) => /^gt\d*$/.test(e));
      if (dir !== null && gt !== undefined) return { kind: 'i915', dir, gt };
    }
  }
  const admin = files.inside(`${pfAt}/sriov_admin`, pfAt);
  return admin === null ? null : { kind: 'xe', dir: admin };
}

/** Intel display PFs with SR-IOV: where a VF that does not exist yet would come from. */
export function findPfOfFutureVf(
  files: HostFiles,
  address: string,
): { pf: PciFacts; sriov: SriovFacts; index: number } | null {
  for (const candidate of files.list(PCI_DEVICES)) {
    const pf = readPci(files, candidate);
    if (pf === null || pf.strayVf || pf.pfAt !== null || !isIntelDisplay(pf)) continue;
    const sriov = readSriov(files, pf.at);
    if (sriov === null) continue;
    for (let index = 1; index <= sriov.totalVfs; index++) {
      if (vfAddress(pf.address, index, sriov.offset, sriov.stride) === address) return { pf, sriov, index };
    }
  }
  return null;
}
