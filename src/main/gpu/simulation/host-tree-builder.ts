import fs from 'node:fs';
import { SIMULATION_MARKER_FILE, type SimulationMarker } from '../../../shared/simulated-host';
import {
  addDrm,
  addToIommuGroup,
  addVf,
  devicePath,
  driverFiles,
  linkDriver,
  writeIdentity,
} from '../../../simulation/kernel/pci-tree';
import { addMdevInstance } from '../../../simulation/kernel/mdev';
import { openSimTree, type SimTree } from '../../../simulation/kernel/sim-tree';
import type { SimGpu, SimPciDevice, SimulatedHostDescription, SimValues } from './host-description';
import { I915_VF_THRESHOLD } from '../provisioning';
import { writeConnectors, writeKvmParameters } from './display-outputs';
import { gucInfoText, hucInfoText } from './uc-samples';
import { writeUsbBuses } from './usb-tree';

/** Bump when the trees change shape, so a tree built by an older Tessera is rebuilt. */
export const SIMULATION_BUILDER_VERSION = 3;

function writeValues(w: SimTree, dir: string, values: SimValues): void {
  for (const [group, attributes] of Object.entries(values)) {
    for (const [name, value] of Object.entries(attributes)) w.file(`${dir}/${group}/${name}`, `${value}\n`);
  }
}

function writePciDevice(w: SimTree, d: SimPciDevice): string {
  const at = devicePath(d);
  writeIdentity(w, d, at);
  w.file(`${at}/enable`, '1\n');
  w.file(`${at}/driver_override`, '(null)\n');
  w.file(`${at}/remove`, '', 0o220);
  w.file(`${at}/rescan`, '', 0o200);
  if (d.driver) linkDriver(w, at, d.address, d.driver);
  if (d.iommuGroup !== null) addToIommuGroup(w, at, d.address, d.iommuGroup);
  if (d.drm) addDrm(w, at, d.drm);
  return at;
}

function writeI915Iov(w: SimTree, gpu: SimGpu, pfAt: string): void {
  const { iov, sriov } = gpu;
  if (iov?.kind !== 'i915' || !sriov || !gpu.drm) return;
  const card = `${pfAt}/drm/card${gpu.drm.card}`;
  // docs/sriov-sysfs.md#i915-sr-iov-directory: backports and lts keep the real directory `prelim_iov` and add `iov -> prelim_iov`.
  const home = `${card}/${iov.layout === 'iov' ? 'iov' : 'prelim_iov'}`;
  if (iov.layout === 'prelim_iov+iov') w.rawLink(`${card}/iov`, 'prelim_iov');
  w.file(`${home}/mode`, 'SR-IOV PF\n', 0o444);
  w.file(`${home}/pf/auto_provisioning`, '1\n');
  w.link(`${home}/pf/device`, pfAt);
  writeValues(w, `${home}/pf`, iov.pf);
  const enabled = new Set(gpu.vfs.map((v) => v.index));
  // docs/sriov-sysfs.md#i915-pf-and-vf-nodes: a vfN directory for every VF the driver allows, enabled or not.
  for (let n = 1; n <= sriov.totalVfs; n++) {
    const slot = `${home}/vf${n}`;
    w.file(`${slot}/id`, `${n}\n`);
    w.file(`${slot}/control`, '');
    const values: SimValues = {};
    for (const [group, attributes] of Object.entries(iov.enabledVf)) {
      values[group] = Object.fromEntries(
        Object.entries(attributes).map(([k, v]) => [k, enabled.has(n) ? v : 0]),
      );
      w.file(`${slot}/${group}/state`, Buffer.alloc(4096), 0o600);
      for (const t of I915_VF_THRESHOLD) w.file(`${slot}/${group}/threshold/${t}`, '0\n');
    }
    writeValues(w, slot, values);
  }
}

function writeXeSriovAdmin(w: SimTree, gpu: SimGpu, pfAt: string): void {
  const { iov, sriov } = gpu;
  if (iov?.kind !== 'xe' || !sriov) return;
  const admin = `${pfAt}/sriov_admin`;
  // docs/sriov-sysfs.md#xe-sriov_admin: write-only bulk setters; vram_quota only with LMTT (discrete).
  const bulk = [
    'exec_quantum_ms',
    'preempt_timeout_us',
    'sched_priority',
    ...(iov.discrete ? ['vram_quota'] : []),
  ];
  for (const name of bulk) w.file(`${admin}/.bulk_profile/${name}`, '', 0o200);
  w.link(`${admin}/pf/device`, pfAt);
  for (const [name, value] of Object.entries(iov.pfProfile))
    w.file(`${admin}/pf/profile/${name}`, `${value}\n`);
  const enabled = new Set(gpu.vfs.map((v) => v.index));
  for (let n = 1; n <= sriov.totalVfs; n++) {
    w.file(`${admin}/vf${n}/stop`, '', 0o200);
    for (const [name, value] of Object.entries(iov.vfProfile)) {
      // VF sched_priority is read-only (docs/sriov-sysfs.md#xe-sriov_admin); vram_quota reads 0 until provisioned.
      const shown = name === 'vram_quota' && !enabled.has(n) ? 0 : value;
      w.file(`${admin}/vf${n}/profile/${name}`, `${shown}\n`, name === 'sched_priority' ? 0o444 : 0o644);
    }
  }
}

function writeGvt(w: SimTree, gpu: SimGpu, pfAt: string): void {
  if (!gpu.gvt) return;
  // docs/sriov-sysfs.md#gvt-g-types: type directory `<parent driver>-<sysfs_name>`, five-line description, `available_instances`.
  const typeDir = (name: string) => `${pfAt}/mdev_supported_types/${gpu.driver ?? 'i915'}-${name}`;
  for (const t of gpu.gvt.types) {
    const dir = typeDir(t.sysfsName);
    w.file(`${dir}/name`, `${t.sysfsName}\n`, 0o444);
    w.file(
      `${dir}/description`,
      `low_gm_size: ${t.lowGmMiB}MB\nhigh_gm_size: ${t.highGmMiB}MB\nfence: ${t.fence}\nresolution: ${t.resolution}\nweight: ${t.weight}\n`,
      0o444,
    );
    w.file(`${dir}/available_instances`, `${t.available}\n`, 0o444);
    w.file(`${dir}/device_api`, 'vfio-pci\n', 0o444);
    w.file(`${dir}/create`, '', 0o200);
    w.mkdir(`${dir}/devices`);
  }
  w.link(`/sys/class/mdev_bus/${gpu.address}`, pfAt);
  gpu.gvt.instances.forEach((instance, i) =>
    addMdevInstance(
      w,
      pfAt,
      `${gpu.driver ?? 'i915'}-${instance.type}`,
      instance.uuid,
      instance.iommuGroup,
      i + 1,
    ),
  );
}

function writeDebugfs(w: SimTree, gpu: SimGpu): void {
  if (!gpu.drm || (!gpu.guc && !gpu.huc)) return;
  // docs/sriov-sysfs.md#guc-and-huc-in-debugfs: the DRM debugfs directory is named for the device, `dri/<minor>` links to it; GT dirs `gt%u`.
  const dri = '/sys/kernel/debug/dri';
  const uc = `${dri}/${gpu.address}/gt0/uc`;
  if (gpu.guc) w.file(`${uc}/guc_info`, gucInfoText(gpu.guc), 0o444);
  if (gpu.huc) w.file(`${uc}/huc_info`, hucInfoText(gpu.huc), 0o444);
  w.rawLink(`${dri}/${gpu.drm.card}`, gpu.address);
  w.rawLink(`${dri}/${gpu.drm.render ?? 128 + gpu.drm.card}`, gpu.address);
}

function writeGpu(w: SimTree, gpu: SimGpu): void {
  const pfAt = writePciDevice(w, gpu);
  if (gpu.sriov) {
    // docs/sriov-sysfs.md#pci-device-files PF-only files; `sriov_vf_device` is bare lower-case hex, unlike `device`.
    w.file(`${pfAt}/sriov_totalvfs`, `${gpu.sriov.totalVfs}\n`, 0o444);
    w.file(`${pfAt}/sriov_numvfs`, `${gpu.vfs.length}\n`);
    w.file(`${pfAt}/sriov_offset`, `${gpu.sriov.offset}\n`, 0o444);
    w.file(`${pfAt}/sriov_stride`, `${gpu.sriov.stride}\n`, 0o444);
    w.file(`${pfAt}/sriov_vf_device`, `${gpu.sriov.vfDevice}\n`, 0o444);
    w.file(`${pfAt}/sriov_drivers_autoprobe`, gpu.sriov.autoprobe ? '1\n' : '0\n');
    w.file(`${pfAt}/sriov_vf_total_msix`, '0\n', 0o444);
  }
  writeI915Iov(w, gpu, pfAt);
  writeXeSriovAdmin(w, gpu, pfAt);
  for (const vf of gpu.vfs) addVf(w, pfAt, vf);
  writeGvt(w, gpu, pfAt);
  if (gpu.drm && gpu.connectors)
    writeConnectors(w, `${pfAt}/drm/card${gpu.drm.card}`, gpu.drm.card, gpu.connectors);
}

function writeKernel(w: SimTree, host: SimulatedHostDescription): void {
  w.file('/proc/cmdline', `${host.cmdline}\n`, 0o444);
  writeKvmParameters(w, host);
  // /proc/modules: name, size, refcount, users, state, address (kernel/module/procfs.c).
  w.file(
    '/proc/modules',
    host.modules.map((m) => `${m} 16384 0 - Live 0x0000000000000000\n`).join(''),
    0o444,
  );
  for (const [module, parameters] of Object.entries(host.moduleParameters)) {
    // docs/sriov-sysfs.md#i915-module-parameters/#xe-module-parameters-and-configfs: these parameters are 0400, readable by root only; the simulation keeps the mode.
    for (const [name, value] of Object.entries(parameters)) {
      w.file(`/sys/module/${module}/parameters/${name}`, `${value}\n`, 0o400);
    }
  }
  w.mkdir('/sys/class/iommu');
  w.mkdir('/sys/kernel/iommu_groups');
  if (host.iommu) {
    // docs/sriov-sysfs.md#iommu-groups: /sys/class/iommu is non-empty when an IOMMU is on (Intel VT-d units are dmarN).
    w.file('/sys/devices/virtual/iommu/dmar0/intel-iommu/version', '1:0\n', 0o444);
    w.link('/sys/class/iommu/dmar0', '/sys/devices/virtual/iommu/dmar0');
  }
  // Hugepage pools: Documentation/admin-guide/mm/hugetlbpage.rst (not part of the GPU reference).
  for (const pool of host.hugepages) {
    const dir = `/sys/kernel/mm/hugepages/hugepages-${pool.sizeKiB}kB`;
    w.file(`${dir}/nr_hugepages`, `${pool.total}\n`);
    w.file(`${dir}/free_hugepages`, `${pool.free}\n`, 0o444);
  }
  const usesVfio = host.modules.includes('vfio');
  if (usesVfio) w.file('/dev/vfio/vfio', '', 0o666); // docs/sriov-sysfs.md#vfio-device-nodes: the container node is world read-write
  w.file('/sys/bus/pci/drivers_autoprobe', '1\n');
  w.file('/sys/bus/pci/drivers_probe', '', 0o200);
  if (host.modules.includes('vfio_pci')) driverFiles(w, 'vfio-pci');
  // Not mounted, debugfs is an empty mount point.
  w.mkdir(host.debugfs ? '/sys/kernel/debug/dri' : '/sys/kernel/debug');
}

/** Materialise `host` into `dir` (which must be empty or absent). */
export function buildHostTree(host: SimulatedHostDescription, dir: string): SimTree {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0)
    throw new Error(`${dir} is not empty: the simulation builds into a fresh directory`);
  const writer = openSimTree(dir);
  writeKernel(writer, host);
  for (const device of host.devices) writePciDevice(writer, device);
  for (const gpu of host.gpus) writeGpu(writer, gpu);
  if (host.debugfs) for (const gpu of host.gpus) writeDebugfs(writer, gpu);
  writeUsbBuses(writer, host.usb ?? []);
  const marker: SimulationMarker = {
    name: host.name,
    title: host.title,
    builderVersion: SIMULATION_BUILDER_VERSION,
  };
  writer.file(`/${SIMULATION_MARKER_FILE}`, JSON.stringify(marker, null, 2) + '\n');
  return writer;
}
