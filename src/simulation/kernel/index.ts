/**
 * The simulated kernel: what Linux does when a sysfs attribute of a simulated host is written.
 * It needs nothing but the tree (driver variant, limits and layout are read from it), so any tree
 * shaped like the reference (../shared/reference/intel-gpu-virtualization-sysfs.md) can be driven.
 * The simulated helper (../run-simulated-plan.ts) writes through it instead of node:fs; the root
 * helper (out/helper/index.js) has none of this inside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { namedDevice, probe, release, chooseDriver, matches } from './binding';
import { fail, firstLine } from './kernel-parse';
import { createMdev, removeMdev } from './mdev';
import { PCI_DRIVERS, driverOf } from './pci-tree';
import { i915HomeOf, storeI915, storePlain, storeXe, xeAdminOf } from './provisioning';
import { openSimTree, type SimTree } from './sim-tree';
import { disableVfs, storeAutoprobe, storeNumvfs } from './sriov';

import type { KernelWriter } from '../../helper/run-plan';

export type { KernelWriter };

/** Longest `driver_override` the kernel stores: PAGE_SIZE - 2 (docs/sriov-sysfs.md#pci-device-files). */
const MAX_OVERRIDE = 4094;

function isDeviceDir(tree: SimTree, dir: string): boolean {
  return dir.startsWith('/sys/devices/') && tree.exists(`${dir}/vendor`) && tree.exists(`${dir}/class`);
}

function storeOverride(tree: SimTree, at: string, value: string): void {
  if (value.length > MAX_OVERRIDE) fail('EINVAL', 'driver_override is longer than PAGE_SIZE - 2');
  const name = firstLine(value);
  tree.update(`${at}/driver_override`, name === '' ? '(null)\n' : `${name}\n`);
}

/** `drivers/<drv>/bind` (docs/sriov-sysfs.md#driver-binding): ENODEV without a match, EBUSY when bound, the probe's own error otherwise. */
function storeBind(tree: SimTree, driver: string, value: string): void {
  const { address, at } = namedDevice(tree, value);
  if (!matches(tree, at, driver)) fail('ENODEV', `${driver} does not match ${address}`);
  if (driverOf(tree, at) !== null) fail('EBUSY', `${address} is bound to ${driverOf(tree, at)}`);
  probe(tree, at, driver);
}

function storeUnbind(tree: SimTree, driver: string, value: string): void {
  const { address, at } = namedDevice(tree, value);
  if (driverOf(tree, at) !== driver) fail('ENODEV', `${address} is not bound to ${driver}`);
  release(tree, at, (pfAt) => disableVfs(tree, pfAt));
}

/** `drivers_probe` (docs/sriov-sysfs.md#driver-binding): attach a driver to an unbound device; a failed probe still answers success. */
function storeDriversProbe(tree: SimTree, value: string): void {
  const { at } = namedDevice(tree, value);
  if (driverOf(tree, at) !== null) return;
  const driver = chooseDriver(tree, at);
  if (driver === null) return;
  try {
    probe(tree, at, driver);
  } catch {
    // really_probe: "Ignore errors returned by ->probe so that the next driver can try its luck."
  }
}

function dispatch(tree: SimTree, hostPath: string, value: string): void {
  const dir = path.posix.dirname(hostPath);
  const name = path.posix.basename(hostPath);
  if (isDeviceDir(tree, dir)) {
    if (name === 'sriov_numvfs') return storeNumvfs(tree, dir, value);
    if (name === 'sriov_drivers_autoprobe') return storeAutoprobe(tree, dir, value);
    if (name === 'driver_override') return storeOverride(tree, dir, value);
  }
  const driverDir = dir.startsWith(`${PCI_DRIVERS}/`) && path.posix.dirname(dir) === PCI_DRIVERS;
  if (driverDir && name === 'bind') return storeBind(tree, path.posix.basename(dir), value);
  if (driverDir && name === 'unbind') return storeUnbind(tree, path.posix.basename(dir), value);
  if (hostPath === '/sys/bus/pci/drivers_probe') return storeDriversProbe(tree, value);
  const home = i915HomeOf(hostPath);
  if (home !== null) return storeI915(tree, home, hostPath, value);
  const admin = xeAdminOf(hostPath);
  if (admin !== null) return storeXe(tree, admin, hostPath, value);
  const type = hostPath.match(/^(\/sys\/devices\/.+)\/mdev_supported_types\/([^/]+)\/create$/);
  if (type?.[1] !== undefined && type[2] !== undefined) return createMdev(tree, type[1], type[2], value);
  if (name === 'remove' && tree.exists(`${dir}/mdev_type`)) return removeMdev(tree, dir, value);
  storePlain(tree, hostPath, value);
}

export function createSimulatedKernel(rootDir: string): KernelWriter {
  const tree = openSimTree(rootDir);
  const hostPathOf = (machinePath: string) => {
    const hostPath = tree.resolve(`/${path.relative(tree.dir, machinePath)}`);
    if (hostPath === null) fail('ENOENT', `${machinePath} is not in the simulated host`);
    return hostPath;
  };
  return {
    write(machinePath, value) {
      dispatch(tree, hostPathOf(machinePath), value);
    },
    chown(machinePath, uid) {
      // In a simulated tree /dev/vfio/<N> and /dev/bus/usb/BBB/DDD are regular files standing for
      // the nodes, and the tree's owner stands for root: a tree a user simulated is theirs, so
      // "back to root" is back to them.
      const at = tree.at(hostPathOf(machinePath));
      fs.chownSync(at, uid === 0 ? fs.statSync(tree.dir).uid : uid, -1);
    },
  };
}
