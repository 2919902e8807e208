/**
 * How PCI functions, IOMMU groups, driver bindings and DRM nodes look in sysfs (docs/sriov-sysfs.md#pci-device-files,
 * docs/sriov-sysfs.md#driver-binding, #iommu-groups, #vfio-device-nodes, #example-hosts). Shared by the tree builder (a host as described) and the simulated kernel
 * (a host as changed by writes), so both make exactly the same shapes.
 */
import path from 'node:path';
import { vfAddress } from '../../shared/pci-address';
import type { SimTree } from './sim-tree';

export const PCI_DEVICES = '/sys/bus/pci/devices';
export const PCI_DRIVERS = '/sys/bus/pci/drivers';
export const IOMMU_GROUPS = '/sys/kernel/iommu_groups';

export interface PciIdentity {
  address: string;
  /** The chain below /sys/devices: `pci0000:00`, or bridges for a card behind a switch. */
  parent: string;
  vendor: string;
  device: string;
  classCode: string;
  revision: string;
  subsystem: readonly [vendor: string, device: string];
  numaNode: number;
}

export interface DrmNodes {
  /** `cardN`; the render node is `renderD(128 + N)` unless given. */
  card: number;
  render?: number;
}

export interface NewVf {
  /** 1-based VF number (`virtfn0` is VF1). */
  index: number;
  driver: string | null;
  iommuGroup: number | null;
  drm?: DrmNodes;
}

const hex = (value: string, digits: number) => `0x${value.padStart(digits, '0')}\n`;

/** `pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X` (docs/sriov-sysfs.md#pci-device-files). */
function modalias(d: PciIdentity): string {
  const up = (v: string, n: number) => v.toUpperCase().padStart(n, '0');
  const cls = d.classCode.padStart(6, '0');
  return (
    `pci:v${up(d.vendor, 8)}d${up(d.device, 8)}sv${up(d.subsystem[0], 8)}sd${up(d.subsystem[1], 8)}` +
    `bc${up(cls.slice(0, 2), 2)}sc${up(cls.slice(2, 4), 2)}i${up(cls.slice(4, 6), 2)}\n`
  );
}

export function devicePath(d: Pick<PciIdentity, 'parent' | 'address'>): string {
  return `/sys/devices/${d.parent}/${d.address}`;
}

/** Identity files every PCI function has (docs/sriov-sysfs.md#pci-device-files); PF-only hot-plug files are left to the caller. */
export function writeIdentity(tree: SimTree, d: PciIdentity, at: string): void {
  tree.file(`${at}/vendor`, hex(d.vendor, 4), 0o444);
  tree.file(`${at}/device`, hex(d.device, 4), 0o444);
  tree.file(`${at}/subsystem_vendor`, hex(d.subsystem[0], 4), 0o444);
  tree.file(`${at}/subsystem_device`, hex(d.subsystem[1], 4), 0o444);
  tree.file(`${at}/revision`, hex(d.revision, 2), 0o444);
  tree.file(`${at}/class`, hex(d.classCode, 6), 0o444);
  tree.file(`${at}/modalias`, modalias(d), 0o444);
  // numa_node: `%d`, -1 when firmware gives no proximity (drivers/pci/pci-sysfs.c; not in the reference's table).
  tree.file(`${at}/numa_node`, `${d.numaNode}\n`);
  tree.file(`${at}/reset`, '', 0o200);
  tree.link(`${at}/subsystem`, '/sys/bus/pci');
  tree.link(`${PCI_DEVICES}/${d.address}`, at);
}

/** docs/sriov-sysfs.md#iommu-groups: group dir with devices/<BDF> links and `type`; the device links back with `iommu_group`. */
export function addToIommuGroup(tree: SimTree, at: string, name: string, group: number): void {
  const groupDir = `${IOMMU_GROUPS}/${group}`;
  tree.file(`${groupDir}/type`, 'DMA\n');
  tree.link(`${groupDir}/devices/${name}`, at);
  tree.link(`${at}/iommu_group`, groupDir);
}

/** The group number of a device, null without an IOMMU group. */
export function iommuGroupOf(tree: SimTree, at: string): number | null {
  const group = tree.resolve(`${at}/iommu_group`);
  return group === null ? null : Number(path.posix.basename(group));
}

/** Leave the group; a group without devices goes away with its last one (docs/sriov-sysfs.md#iommu-groups). */
export function removeFromIommuGroup(tree: SimTree, at: string, name: string): void {
  const group = iommuGroupOf(tree, at);
  tree.remove(`${at}/iommu_group`);
  if (group === null) return;
  const groupDir = `${IOMMU_GROUPS}/${group}`;
  tree.remove(`${groupDir}/devices/${name}`);
  if (tree.list(`${groupDir}/devices`).length === 0) tree.remove(groupDir);
}

/** Group numbers are handed out at hot-add time (docs/sriov-sysfs.md#iommu-groups): the next one after the highest in use. */
export function nextIommuGroup(tree: SimTree): number {
  const used = tree
    .list(IOMMU_GROUPS)
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
  return used.length === 0 ? 0 : Math.max(...used) + 1;
}

export function driverFiles(tree: SimTree, driver: string): void {
  for (const name of ['bind', 'unbind', 'new_id', 'remove_id'])
    tree.file(`${PCI_DRIVERS}/${driver}/${name}`, '', 0o200);
}

/** Bound as the kernel shows it: `driver` link on the device, device link in the driver's directory (docs/sriov-sysfs.md#driver-binding). */
export function linkDriver(tree: SimTree, at: string, address: string, driver: string): void {
  if (!tree.exists(`${PCI_DRIVERS}/${driver}/bind`)) driverFiles(tree, driver);
  tree.link(`${at}/driver`, `${PCI_DRIVERS}/${driver}`);
  tree.link(`${PCI_DRIVERS}/${driver}/${address}`, at);
}

export function unlinkDriver(tree: SimTree, at: string, address: string): void {
  const driver = driverOf(tree, at);
  tree.remove(`${at}/driver`);
  if (driver !== null) tree.remove(`${PCI_DRIVERS}/${driver}/${address}`);
}

export function driverOf(tree: SimTree, at: string): string | null {
  const target = tree.resolve(`${at}/driver`);
  return target === null ? null : path.posix.basename(target);
}

export function addDrm(tree: SimTree, at: string, drm: DrmNodes): void {
  const render = drm.render ?? 128 + drm.card;
  tree.mkdir(`${at}/drm/card${drm.card}`);
  tree.mkdir(`${at}/drm/renderD${render}`);
  tree.link(`/sys/class/drm/card${drm.card}`, `${at}/drm/card${drm.card}`);
  tree.link(`/sys/class/drm/renderD${render}`, `${at}/drm/renderD${render}`);
  tree.file(`/dev/dri/card${drm.card}`, '', 0o660);
  tree.file(`/dev/dri/renderD${render}`, '', 0o666);
}

/** The driver's DRM nodes go when it lets go of the device. */
export function removeDrm(tree: SimTree, at: string): void {
  for (const node of tree.list(`${at}/drm`)) {
    tree.remove(`/sys/class/drm/${node}`);
    tree.remove(`/dev/dri/${node}`);
  }
  tree.remove(`${at}/drm`);
}

/** The lowest free card number: DRM minors are handed out in order (drm_minor_alloc). */
export function nextDrmCard(tree: SimTree): number {
  const used = new Set(
    tree
      .list('/sys/class/drm')
      .filter((n) => /^card\d+$/.test(n))
      .map((n) => Number(n.slice(4))),
  );
  let card = 0;
  while (used.has(card)) card++;
  return card;
}

function mustRead(tree: SimTree, hostPath: string): string {
  const text = tree.read(hostPath);
  if (text === null) throw new Error(`simulated tree: cannot read ${hostPath}`);
  return text.trim();
}

/** The i915 SR-IOV home of a PF, if its card has one (docs/sriov-sysfs.md#i915-sr-iov-directory: `prelim_iov` first, then `iov`). */
export function i915Home(tree: SimTree, pfAt: string): string | null {
  const card = tree.list(`${pfAt}/drm`).find((e) => /^card\d+$/.test(e));
  if (!card) return null;
  for (const name of ['prelim_iov', 'iov']) {
    const home = `${pfAt}/drm/${card}/${name}`;
    if (tree.exists(home) && !tree.isLink(home)) return home;
  }
  return null;
}

/** xe's per-device `sriov_admin` (docs/sriov-sysfs.md#xe-sriov_admin), if the PF has one. */
export function xeAdmin(tree: SimTree, pfAt: string): string | null {
  const admin = `${pfAt}/sriov_admin`;
  return tree.exists(admin) ? admin : null;
}

/** The VF's identity as the PCI core makes it: the PF's, with the device id from `sriov_vf_device` (docs/sriov-sysfs.md#pci-device-files, #device-ids). */
export function vfIdentity(tree: SimTree, pfAt: string, index: number): PciIdentity {
  const pfAddress = path.posix.basename(pfAt);
  const address = vfAddress(
    pfAddress,
    index,
    Number(mustRead(tree, `${pfAt}/sriov_offset`)),
    Number(mustRead(tree, `${pfAt}/sriov_stride`)),
  );
  if (address === null) throw new Error(`simulated tree: VF${index} of ${pfAddress} leaves the bus`);
  const strip = (v: string) => v.replace(/^0x/, '');
  return {
    address,
    parent: pfAt.slice('/sys/devices/'.length, pfAt.lastIndexOf('/')),
    vendor: strip(mustRead(tree, `${pfAt}/vendor`)),
    device: mustRead(tree, `${pfAt}/sriov_vf_device`),
    classCode: strip(mustRead(tree, `${pfAt}/class`)),
    revision: strip(mustRead(tree, `${pfAt}/revision`)),
    subsystem: [
      strip(mustRead(tree, `${pfAt}/subsystem_vendor`)),
      strip(mustRead(tree, `${pfAt}/subsystem_device`)),
    ],
    numaNode: Number(mustRead(tree, `${pfAt}/numa_node`)),
  };
}

/** docs/sriov-sysfs.md#vfio-device-nodes: the group node appears when a device of the group is bound to vfio, root:root 0600. */
export function addVfioNode(tree: SimTree, group: number): void {
  if (!tree.exists(`/dev/vfio/${group}`)) tree.file(`/dev/vfio/${group}`, '', 0o600);
}

/**
 * Add VF `vf.index` of the PF at `pfAt` as the PCI core and the PF driver show it once enabled:
 * the VF's device directory, `virtfnN`/`physfn` links (docs/sriov-sysfs.md#pci-device-files), its IOMMU group (docs/sriov-sysfs.md#iommu-groups), the i915
 * `vfN/device` or xe `sriov_admin/vfN/device` link (docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #xe-sriov_admin), and the driver binding.
 * Everything about the PF is read from the tree itself.
 */
export function addVf(tree: SimTree, pfAt: string, vf: NewVf): string {
  const identity = vfIdentity(tree, pfAt, vf.index);
  const { address } = identity;
  const at = devicePath(identity);
  writeIdentity(tree, identity, at);
  // docs/sriov-sysfs.md#alder-lake-p-with-two-vfs: a VF has no remove/rescan; `enable` reads 0 until a user (vfio-pci) enables it.
  tree.file(`${at}/enable`, '0\n');
  tree.file(`${at}/sriov_vf_msix_count`, '', 0o200);
  // libvirt's way to bind (docs/sriov-sysfs.md#driver-binding): driver_override names vfio-pci; host drivers bind by autoprobe.
  tree.file(`${at}/driver_override`, vf.driver === 'vfio-pci' ? 'vfio-pci\n' : '(null)\n');
  tree.link(`${at}/physfn`, pfAt);
  tree.link(`${pfAt}/virtfn${vf.index - 1}`, at);
  if (vf.iommuGroup !== null) addToIommuGroup(tree, at, address, vf.iommuGroup);
  const home = i915Home(tree, pfAt);
  if (home) tree.link(`${home}/vf${vf.index}/device`, at);
  const admin = xeAdmin(tree, pfAt);
  if (admin) tree.link(`${admin}/vf${vf.index}/device`, at);
  if (vf.driver) linkDriver(tree, at, address, vf.driver);
  if (vf.driver === 'vfio-pci' && vf.iommuGroup !== null) addVfioNode(tree, vf.iommuGroup);
  if (vf.drm) addDrm(tree, at, vf.drm);
  return address;
}

/** The PCI core removing a VF (`pci_iov_remove_virtfn`): every link `addVf` made, then the device. Its driver has let go first. */
export function removeVf(tree: SimTree, pfAt: string, index: number, at: string): void {
  const address = path.posix.basename(at);
  removeFromIommuGroup(tree, at, address);
  const home = i915Home(tree, pfAt);
  if (home) tree.remove(`${home}/vf${index}/device`);
  const admin = xeAdmin(tree, pfAt);
  if (admin) tree.remove(`${admin}/vf${index}/device`);
  tree.remove(`${PCI_DEVICES}/${address}`);
  tree.remove(`${pfAt}/virtfn${index - 1}`);
  tree.remove(at);
}
