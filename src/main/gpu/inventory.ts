import path from 'node:path';
import type {
  Gpu,
  GpuInventory,
  HostIdentity,
  PciFunction,
  SriovState,
  VirtualFunction,
} from '../../shared/gpu-inventory';
import { isBdf } from '../../shared/pci-address';
import { createHostReader, type HostReader } from '../fsutil/host-reader';
import type { HostRoot } from '../fsutil/host-root';
import { readMdev } from './mdev';
import { findPlatform, platformSupport } from './platforms';
import { findSriovInterface, readProvisioning } from './provisioning';
import { readUcInfo } from './uc-info';

const PCI_DEVICES = '/sys/bus/pci/devices';
export const INTEL_VENDOR_ID = '8086';

/** PCI base class 0x03, display controller (VGA 0x0300, 3D 0x0302, other 0x0380 as on Flex, docs/sriov-sysfs.md#flex-170-with-two-vfs). */
export function isDisplayClass(classCode: string): boolean {
  return classCode.startsWith('03');
}

/** One function's identity and placement (docs/sriov-sysfs.md#pci-device-files), from its canonical sysfs directory. */
function readPciFunction(reader: HostReader, address: string, dir: string): PciFunction | null {
  const vendorId = reader.hexId(`${dir}/vendor`, 4, { required: true });
  const deviceId = reader.hexId(`${dir}/device`, 4, { required: true });
  const classCode = reader.hexId(`${dir}/class`, 6, { required: true });
  if (vendorId === null || deviceId === null || classCode === null) return null;
  const override = reader.text(`${dir}/driver_override`);
  const group = reader.linkName(`${dir}/iommu_group`);
  const numa = reader.int(`${dir}/numa_node`);
  const drm = reader.list(`${dir}/drm`);
  return {
    address,
    vendorId,
    deviceId,
    classCode,
    revision: reader.hexId(`${dir}/revision`, 2),
    subsystemVendorId: reader.hexId(`${dir}/subsystem_vendor`, 4),
    subsystemDeviceId: reader.hexId(`${dir}/subsystem_device`, 4),
    driver: reader.linkName(`${dir}/driver`),
    // docs/sriov-sysfs.md#pci-device-files: unset prints `(null)`; an empty value clears it.
    driverOverride: override === null || override === '(null)' || override === '' ? null : override,
    iommuGroup: group !== null && /^\d+$/.test(group) ? Number(group) : null,
    numaNode: numa === null || numa < 0 ? null : numa,
    drmCard: drm.find((e) => /^card\d+$/.test(e)) ?? null,
    drmRender: drm.find((e) => /^renderD\d+$/.test(e)) ?? null,
  };
}

/** SR-IOV PF attributes (docs/sriov-sysfs.md#pci-device-files); null for a function without the capability (no `sriov_totalvfs`). */
function readSriov(reader: HostReader, dir: string): SriovState | null {
  if (!reader.exists(`${dir}/sriov_totalvfs`)) return null;
  const totalVfs = reader.int(`${dir}/sriov_totalvfs`, { required: true });
  const numVfs = reader.int(`${dir}/sriov_numvfs`, { required: true });
  if (totalVfs === null || numVfs === null) return null;
  const autoprobe = reader.text(`${dir}/sriov_drivers_autoprobe`);
  const vfDevice = reader.text(`${dir}/sriov_vf_device`);
  return {
    totalVfs,
    numVfs,
    autoprobe: autoprobe === null ? null : autoprobe === '1',
    // `%x` without 0x, unlike `device` (docs/sriov-sysfs.md#pci-device-files).
    vfDeviceId:
      vfDevice === null
        ? null
        : /^[0-9a-f]{1,4}$/.test(vfDevice)
          ? vfDevice.padStart(4, '0')
          : reader.unexpected(`${dir}/sriov_vf_device`, vfDevice, 'bare lower-case hex'),
    offset: reader.int(`${dir}/sriov_offset`),
    stride: reader.int(`${dir}/sriov_stride`),
  };
}

/** The PF's VFs through its `virtfnN` links (N is 0-based: virtfn0 is VF1, docs/sriov-sysfs.md#pci-device-files). */
function readVfs(reader: HostReader, dir: string): VirtualFunction[] {
  const vfs: VirtualFunction[] = [];
  for (const entry of reader.list(dir)) {
    const match = /^virtfn(\d+)$/.exec(entry);
    if (!match) continue;
    const at = reader.resolve(`${dir}/${entry}`);
    if (at === null) continue;
    const fn = readPciFunction(reader, path.posix.basename(at), at);
    // Which VM holds it is not in sysfs: withHolders adds it from the VMs' leases.
    if (fn) vfs.push({ ...fn, index: Number(match[1]) + 1, usedBy: null });
  }
  return vfs.sort((a, b) => a.index - b.index);
}

function readGpu(reader: HostReader, fn: PciFunction, dir: string): Gpu {
  const platform = findPlatform(fn.deviceId);
  const sriov = readSriov(reader, dir);
  const iface = findSriovInterface(reader, dir, fn.drmCard);
  const mdev = readMdev(reader, dir);
  const hostDriver = fn.driver === 'i915' || fn.driver === 'xe' ? fn.driver : null;
  return {
    ...fn,
    name: platform?.name ?? `Intel GPU ${INTEL_VENDOR_ID}:${fn.deviceId}`,
    platform: platform?.code ?? null,
    support: platform ? platformSupport(platform, fn.deviceId) : null,
    sriov,
    sriovInterface: iface.kind,
    // docs/sriov-sysfs.md#i915-module-parameters/#xe-module-parameters-and-configfs: `max_vfs` exists only in SR-IOV-capable builds; the file is 0400 but its presence shows.
    driverHasMaxVfs:
      hostDriver === null ? null : reader.exists(`/sys/module/${hostDriver}/parameters/max_vfs`),
    provisioning: iface.home === null ? null : readProvisioning(reader, iface.kind, iface.home),
    vfs: readVfs(reader, dir),
    mdevTypes: mdev.types,
    mdevInstances: mdev.instances,
    guc: hostDriver ? readUcInfo(reader, 'GuC', fn.address, fn.drmCard) : noDriver(fn),
    huc: hostDriver ? readUcInfo(reader, 'HuC', fn.address, fn.drmCard) : noDriver(fn),
  };
}

function noDriver(fn: PciFunction): Gpu['guc'] {
  return {
    state: 'unknown',
    reason:
      fn.driver === null
        ? 'no driver is bound to the GPU'
        : `the GPU is held by ${fn.driver}, not i915 or xe`,
  };
}

/**
 * Every Intel display-class PF with its VFs, mdevs and firmware state, plus other vendors'
 * display functions. Never throws on a broken tree: what could not be read is in `unreadable`.
 */
export function readGpuInventory(root: HostRoot, host: HostIdentity): GpuInventory {
  const reader = createHostReader(root);
  const gpus: Gpu[] = [];
  const otherDisplays: PciFunction[] = [];
  const devices = root.readDir(PCI_DEVICES);
  if (!devices.ok) reader.report({ path: devices.path, reason: devices.reason });
  for (const address of devices.ok ? devices.value : []) {
    if (!isBdf(address)) {
      reader.report({ path: `${PCI_DEVICES}/${address}`, reason: `${address} is not a PCI address` });
      continue;
    }
    const dir = reader.resolve(`${PCI_DEVICES}/${address}`);
    if (dir === null) continue;
    const fn = readPciFunction(reader, address, dir);
    if (!fn || !isDisplayClass(fn.classCode)) continue;
    if (fn.vendorId !== INTEL_VENDOR_ID) otherDisplays.push(fn);
    // A VF is listed under its PF (docs/sriov-sysfs.md#pci-device-files `physfn`), never as a GPU of its own.
    else if (!reader.exists(`${dir}/physfn`)) gpus.push(readGpu(reader, fn, dir));
  }
  return { host, gpus, otherDisplays, unreadable: reader.unreadable };
}

/** The inventory with `usedBy` naming the VM that holds each VF and vGPU (by address or UUID). */
export function withHolders(inventory: GpuInventory, holders: ReadonlyMap<string, string>): GpuInventory {
  if (holders.size === 0) return inventory;
  return {
    ...inventory,
    gpus: inventory.gpus.map((g) => ({
      ...g,
      vfs: g.vfs.map((v) => ({ ...v, usedBy: holders.get(v.address) ?? null })),
      mdevInstances: g.mdevInstances.map((m) => ({ ...m, usedBy: holders.get(m.uuid) ?? null })),
    })),
  };
}
