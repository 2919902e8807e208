/**
 * Driver binding as the driver core and the PCI bus do it (docs/sriov-sysfs.md#driver-binding): matching with
 * `driver_override`, the VF probe gate, what vfio-pci refuses, and what a driver adds to sysfs
 * when it takes a device and removes when it lets go of it.
 */
import path from 'node:path';
import { fail } from './kernel-parse';
import {
  PCI_DEVICES,
  PCI_DRIVERS,
  addDrm,
  addVfioNode,
  driverOf,
  iommuGroupOf,
  linkDriver,
  nextDrmCard,
  removeDrm,
  unlinkDriver,
} from './pci-tree';
import type { SimTree } from './sim-tree';

/** The GPU drivers that run Intel PFs and VFs on the host (docs/sriov-sysfs.md#i915-sr-iov, #xe-sr-iov). */
export const HOST_GPU_DRIVERS = ['i915', 'xe'] as const;
export const VFIO_PCI = 'vfio-pci';

/** Where the driver's own sysfs of an unbound PF waits for the next probe (see `stashPfDriverFiles`). */
const STASH = '/.tessera-kernel/unbound';

export function deviceDir(tree: SimTree, address: string): string | null {
  return tree.resolve(`${PCI_DEVICES}/${address}`);
}

/** The device's `driver_override`, null when unset (docs/sriov-sysfs.md#pci-device-files prints `(null)`). */
export function overrideOf(tree: SimTree, at: string): string | null {
  const text = tree.read(`${at}/driver_override`)?.trim() ?? '(null)';
  return text === '(null)' || text === '' ? null : text;
}

export function physfnOf(tree: SimTree, at: string): string | null {
  return tree.exists(`${at}/physfn`) ? tree.resolve(`${at}/physfn`) : null;
}

/** Enabled VFs through `virtfnN` (N 0-based: virtfn0 is VF1, docs/sriov-sysfs.md#pci-device-files). */
export function vfsOf(tree: SimTree, pfAt: string): { index: number; at: string }[] {
  return tree
    .list(pfAt)
    .map((name) => name.match(/^virtfn(\d+)$/))
    .flatMap((m) => {
      const at = m?.[1] === undefined ? null : tree.resolve(`${pfAt}/${m[0]}`);
      return m?.[1] === undefined || at === null ? [] : [{ index: Number(m[1]) + 1, at }];
    })
    .sort((a, b) => a.index - b.index);
}

/** Registered PCI drivers: a directory with a `bind` file under /sys/bus/pci/drivers. */
export function loadedDrivers(tree: SimTree): string[] {
  return tree.list(PCI_DRIVERS).filter((d) => tree.exists(`${PCI_DRIVERS}/${d}/bind`));
}

function isIntelDisplay(tree: SimTree, at: string): boolean {
  return (
    tree.read(`${at}/vendor`)?.trim() === '0x8086' && tree.read(`${at}/class`)?.startsWith('0x03') === true
  );
}

/**
 * Whether `driver` may take the device. With an override only the named driver matches; a VF may
 * be probed only when its PF's `sriov_drivers_autoprobe` is 1 or it has an override (docs/sriov-sysfs.md#driver-binding,
 * `pci_device_can_probe`). Without an override the host GPU drivers match Intel display
 * functions by their id tables; vfio-pci matches nothing without `new_id` (not simulated).
 */
export function matches(tree: SimTree, at: string, driver: string): boolean {
  const override = overrideOf(tree, at);
  if (override !== null) return override === driver;
  const pf = physfnOf(tree, at);
  if (pf !== null && tree.read(`${pf}/sriov_drivers_autoprobe`)?.trim() !== '1') return false;
  return (HOST_GPU_DRIVERS as readonly string[]).includes(driver) && isIntelDisplay(tree, at);
}

/** The driver `drivers_probe` would attach: the override, else a VF's PF driver, else i915 before xe. */
export function chooseDriver(tree: SimTree, at: string): string | null {
  const loaded = loadedDrivers(tree);
  const pf = physfnOf(tree, at);
  const pfDriver = pf === null ? null : driverOf(tree, pf);
  const candidates = [overrideOf(tree, at), pfDriver, ...HOST_GPU_DRIVERS].filter(
    (d): d is string => d !== null && loaded.includes(d),
  );
  return candidates.find((d) => matches(tree, at, d)) ?? null;
}

/** The driver's probe: what it refuses, and what it adds to sysfs once it has the device. */
export function probe(tree: SimTree, at: string, driver: string): void {
  const address = path.posix.basename(at);
  const group = iommuGroupOf(tree, at);
  if (driver === VFIO_PCI) {
    // docs/sriov-sysfs.md#driver-binding: vfio-pci needs an IOMMU group and refuses a PF with VFs enabled.
    if (group === null) fail('EINVAL', `${address} has no IOMMU group; vfio-pci cannot take it`);
    if (Number(tree.read(`${at}/sriov_numvfs`)?.trim() ?? '0') > 0)
      fail('EBUSY', `Cannot bind to PF with SR-IOV enabled (${address})`);
  }
  linkDriver(tree, at, address, driver);
  if (driver === VFIO_PCI && group !== null) addVfioNode(tree, group);
  if ((HOST_GPU_DRIVERS as readonly string[]).includes(driver)) {
    if (physfnOf(tree, at) === null) restorePfDriverFiles(tree, at);
    // A VF on the host driver becomes a GPU of the host: "Running in SR-IOV VF mode" (docs/sriov-sysfs.md#i915-kernel-messages), with its own card.
    else addDrm(tree, at, { card: nextDrmCard(tree) });
  }
}

/** The driver lets go of the device: its sysfs goes with it (docs/sriov-sysfs.md#driver-binding unbind, docs/sriov-sysfs.md#vfio-device-nodes group node). */
export function release(tree: SimTree, at: string, disableVfs: (pfAt: string) => void): void {
  const driver = driverOf(tree, at);
  if (driver === null) return;
  const address = path.posix.basename(at);
  const group = iommuGroupOf(tree, at);
  unlinkDriver(tree, at, address);
  if (driver === VFIO_PCI && group !== null) {
    const stillVfio = tree
      .list(`/sys/kernel/iommu_groups/${group}/devices`)
      .some((member) => driverOf(tree, `/sys/kernel/iommu_groups/${group}/devices/${member}`) === VFIO_PCI);
    if (!stillVfio) tree.remove(`/dev/vfio/${group}`);
  }
  if ((HOST_GPU_DRIVERS as readonly string[]).includes(driver)) {
    if (physfnOf(tree, at) !== null) removeDrm(tree, at);
    else {
      // A PF driver's remove disables SR-IOV before it goes (pci_disable_sriov in the driver's remove).
      disableVfs(at);
      stashPfDriverFiles(tree, at);
    }
  }
}

/**
 * A host GPU driver builds its sysfs (DRM card, i915 `prelim_iov`, xe `sriov_admin`, GVT-g types)
 * at probe from its module parameters and the hardware, which a tree does not hold. So when it
 * lets go of a PF the simulation keeps that sysfs aside, in the tree, and puts it back at the next
 * probe, as the driver would rebuild it.
 */
function stashPfDriverFiles(tree: SimTree, at: string): void {
  const stash = `${STASH}/${path.posix.basename(at)}`;
  const debugfs = `/sys/kernel/debug/dri/${path.posix.basename(at)}`;
  for (const name of ['sriov_admin', 'mdev_supported_types']) {
    if (tree.exists(`${at}/${name}`)) tree.rename(`${at}/${name}`, `${stash}/${name}`);
  }
  if (tree.exists(debugfs)) tree.rename(debugfs, `${stash}/debugfs`);
  for (const minor of tree.list('/sys/kernel/debug/dri')) {
    if (
      tree.isLink(`/sys/kernel/debug/dri/${minor}`) &&
      tree.resolve(`/sys/kernel/debug/dri/${minor}`) === null
    )
      tree.remove(`/sys/kernel/debug/dri/${minor}`);
  }
  if (tree.exists(`${at}/drm`)) {
    const nodes = tree.list(`${at}/drm`);
    tree.rename(`${at}/drm`, `${stash}/drm`);
    for (const node of nodes) {
      tree.remove(`/sys/class/drm/${node}`);
      tree.remove(`/dev/dri/${node}`);
    }
  }
}

function restorePfDriverFiles(tree: SimTree, at: string): void {
  const address = path.posix.basename(at);
  const stash = `${STASH}/${address}`;
  if (!tree.exists(stash)) {
    addDrm(tree, at, { card: nextDrmCard(tree) });
    return;
  }
  for (const name of ['sriov_admin', 'mdev_supported_types']) {
    if (tree.exists(`${stash}/${name}`)) tree.rename(`${stash}/${name}`, `${at}/${name}`);
  }
  if (tree.exists(`${stash}/drm`)) {
    tree.rename(`${stash}/drm`, `${at}/drm`);
    for (const node of tree.list(`${at}/drm`)) {
      tree.link(`/sys/class/drm/${node}`, `${at}/drm/${node}`);
      tree.file(`/dev/dri/${node}`, '', node.startsWith('render') ? 0o666 : 0o660);
      // docs/sriov-sysfs.md#guc-and-huc-in-debugfs: dri/<minor> links to the device's debugfs directory.
      const minor = node.match(/^(?:card|renderD)(\d+)$/)?.[1];
      if (minor !== undefined && tree.exists(`${stash}/debugfs`))
        tree.rawLink(`/sys/kernel/debug/dri/${minor}`, address);
    }
  }
  if (tree.exists(`${stash}/debugfs`)) tree.rename(`${stash}/debugfs`, `/sys/kernel/debug/dri/${address}`);
  tree.remove(stash);
}

/** The device directory a bind/unbind/drivers_probe write names (`bus_find_device_by_name`). */
export function namedDevice(tree: SimTree, value: string): { address: string; at: string } {
  const address = value.endsWith('\n') ? value.slice(0, -1) : value;
  const at = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(address) ? deviceDir(tree, address) : null;
  if (at === null) fail('ENODEV', `no PCI device ${JSON.stringify(address)}`);
  return { address, at };
}
