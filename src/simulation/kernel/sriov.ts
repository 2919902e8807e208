/**
 * `sriov_numvfs` and `sriov_drivers_autoprobe` (docs/sriov-sysfs.md#pci-device-files–docs/sriov-sysfs.md#sriov_totalvfs): the PCI core's checks in
 * their order, the PF driver's `sriov_configure`, and the VFs it makes or removes.
 */
import { chooseDriver, probe, release, vfsOf } from './binding';
import { KernelErrno, fail, kstrtobool, kstrtou } from './kernel-parse';
import { addVf, driverOf, i915Home, iommuGroupOf, nextIommuGroup, removeVf } from './pci-tree';
import { autoProvision, releaseAutoProvisioned } from './provisioning';
import type { SimTree } from './sim-tree';

const numberIn = (tree: SimTree, hostPath: string) => Number(tree.read(hostPath)?.trim() ?? '0');

/**
 * Whether the bound driver implements `sriov_configure`: xe does; i915 only in the SR-IOV builds,
 * which are the ones with a `max_vfs` parameter (docs/sriov-sysfs.md#writing-sriov_numvfs step 5, docs/sriov-sysfs.md#i915-module-parameters); vfio-pci's is not simulated.
 */
function canConfigure(tree: SimTree, driver: string): boolean {
  if (driver === 'xe') return true;
  return driver === 'i915' && tree.exists('/sys/module/i915/parameters/max_vfs');
}

/** docs/sriov-sysfs.md#writing-sriov_numvfs, in the kernel's order. */
export function storeNumvfs(tree: SimTree, pfAt: string, value: string): void {
  let wanted: number;
  try {
    wanted = Number(kstrtou(value, 16));
  } catch (error) {
    // The reference gives EINVAL for every parse failure here, overflow included (docs/sriov-sysfs.md#writing-sriov_numvfs step 1).
    if (error instanceof KernelErrno) fail('EINVAL', error.message);
    throw error;
  }
  const total = numberIn(tree, `${pfAt}/sriov_totalvfs`);
  if (wanted > total) fail('ERANGE', `${wanted} is over sriov_totalvfs ${total}`);
  const current = numberIn(tree, `${pfAt}/sriov_numvfs`);
  if (wanted === current) return;
  const driver = driverOf(tree, pfAt);
  if (driver === null) fail('ENOENT', 'no driver bound to device; cannot configure SR-IOV');
  if (!canConfigure(tree, driver)) fail('ENOENT', 'driver does not support SR-IOV configuration via sysfs');
  if (wanted === 0) return disableVfs(tree, pfAt);
  if (current > 0) fail('EBUSY', `${current} VFs already enabled. Disable before enabling ${wanted} VFs`);
  // docs/sriov-sysfs.md#sriov_totalvfs/#i915-pf-and-vf-nodes: i915 runs as a PF only with its SR-IOV home; xe only with VFs allowed.
  const home = driver === 'i915' ? i915Home(tree, pfAt) : null;
  if (driver === 'i915' && home === null) fail('ENODEV', 'the device is not in SR-IOV PF mode');
  if (home !== null) autoProvision(tree, home, wanted);
  enableVfs(tree, pfAt, wanted);
}

function enableVfs(tree: SimTree, pfAt: string, count: number): void {
  const withGroups = iommuGroupOf(tree, pfAt) !== null;
  const autoprobe = tree.read(`${pfAt}/sriov_drivers_autoprobe`)?.trim() === '1';
  for (let index = 1; index <= count; index++) {
    const address = addVf(tree, pfAt, {
      index,
      driver: null,
      iommuGroup: withGroups ? nextIommuGroup(tree) : null,
    });
    const at = tree.resolve(`/sys/bus/pci/devices/${address}`);
    // docs/sriov-sysfs.md#driver-binding: with autoprobe on, the VF is probed at once and its PF's driver takes it.
    const driver = at !== null && autoprobe ? chooseDriver(tree, at) : null;
    if (at !== null && driver !== null) {
      try {
        probe(tree, at, driver);
      } catch {
        // A failed probe leaves the VF unbound (really_probe ignores the error).
      }
    }
  }
  tree.update(`${pfAt}/sriov_numvfs`, `${count}\n`);
}

/** `sriov_configure(0)`: every VF's driver lets go, the VFs go, auto-provisioned shares return (docs/sriov-sysfs.md#i915-auto-provisioning). */
export function disableVfs(tree: SimTree, pfAt: string): void {
  for (const vf of vfsOf(tree, pfAt).reverse()) {
    release(tree, vf.at, () => undefined);
    removeVf(tree, pfAt, vf.index, vf.at);
  }
  const home = i915Home(tree, pfAt);
  if (home !== null) releaseAutoProvisioned(tree, home);
  if (tree.exists(`${pfAt}/sriov_numvfs`)) tree.update(`${pfAt}/sriov_numvfs`, '0\n');
}

/** docs/sriov-sysfs.md#pci-device-files: kstrtobool; affects only VFs created later. */
export function storeAutoprobe(tree: SimTree, pfAt: string, value: string): void {
  tree.update(`${pfAt}/sriov_drivers_autoprobe`, kstrtobool(value) ? '1\n' : '0\n');
}
