import fs from 'node:fs';
import { SIMULATION_MARKER_FILE, type SimulationMarker } from '../../../shared/simulated-host';
import { createHostRoot, type HostRoot } from '../../fsutil/host-root';
import type {
  SimDrm,
  SimGpu,
  SimPciDevice,
  SimulatedHostDescription,
  SimValues,
  SimVf,
} from './host-description';
import { I915_VF_THRESHOLD } from '../provisioning';
import { writeConnectors, writeKvmParameters } from './display-outputs';
import { createSysfsWriter, type SysfsWriter } from './sysfs-writer';
import { gucInfoText, hucInfoText } from './uc-samples';

/** Bump when the trees change shape, so a tree built by an older Tessera is rebuilt. */
export const SIMULATION_BUILDER_VERSION = 2;

/** A simulated host tree: written through `writer`, read back through `root` like any host. */
export interface SimulatedTree {
  readonly writer: SysfsWriter;
  readonly root: HostRoot;
}

const PCI_DEVICES = '/sys/bus/pci/devices';
const PCI_DRIVERS = '/sys/bus/pci/drivers';

const hex = (value: string, digits: number) => `0x${value.padStart(digits, '0')}\n`;

/** `pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X` (§A.1). */
function modalias(d: Pick<SimPciDevice, 'vendor' | 'device' | 'subsystem' | 'classCode'>): string {
  const up = (v: string, n: number) => v.toUpperCase().padStart(n, '0');
  const cls = d.classCode.padStart(6, '0');
  return (
    `pci:v${up(d.vendor, 8)}d${up(d.device, 8)}sv${up(d.subsystem[0], 8)}sd${up(d.subsystem[1], 8)}` +
    `bc${up(cls.slice(0, 2), 2)}sc${up(cls.slice(2, 4), 2)}i${up(cls.slice(4, 6), 2)}\n`
  );
}

/** The VF's address: routing ID = PF's + First VF Offset + (n-1) × VF Stride (§A.1 `sriov_offset`/`sriov_stride`, §G.2 ARI). */
export function vfAddress(pf: string, index: number, offset: number, stride: number): string {
  const match = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(pf);
  if (!match) throw new Error(`not a PCI address: ${pf}`);
  const [, domain, bus, dev, fn] = match as unknown as [string, string, string, string, string];
  const rid =
    (parseInt(bus, 16) << 8) + (parseInt(dev, 16) << 3) + parseInt(fn, 16) + offset + stride * (index - 1);
  const h = (v: number, n: number) => v.toString(16).padStart(n, '0');
  return `${domain}:${h(rid >> 8, 2)}:${h((rid >> 3) & 0x1f, 2)}.${(rid & 7).toString(16)}`;
}

function devicePath(d: Pick<SimPciDevice, 'parent' | 'address'>): string {
  return `/sys/devices/${d.parent}/${d.address}`;
}

function writeValues(w: SysfsWriter, dir: string, values: SimValues): void {
  for (const [group, attributes] of Object.entries(values)) {
    for (const [name, value] of Object.entries(attributes)) w.file(`${dir}/${group}/${name}`, `${value}\n`);
  }
}

/** Identity files every PCI function has (§A.1); PF-only hot-plug files are left to the caller. */
function writeIdentity(w: SysfsWriter, d: SimPciDevice, at: string): void {
  w.file(`${at}/vendor`, hex(d.vendor, 4), 0o444);
  w.file(`${at}/device`, hex(d.device, 4), 0o444);
  w.file(`${at}/subsystem_vendor`, hex(d.subsystem[0], 4), 0o444);
  w.file(`${at}/subsystem_device`, hex(d.subsystem[1], 4), 0o444);
  w.file(`${at}/revision`, hex(d.revision, 2), 0o444);
  w.file(`${at}/class`, hex(d.classCode, 6), 0o444);
  w.file(`${at}/modalias`, modalias(d), 0o444);
  // numa_node: `%d`, -1 when firmware gives no proximity (drivers/pci/pci-sysfs.c; not in the reference's table).
  w.file(`${at}/numa_node`, `${d.numaNode}\n`);
  w.file(`${at}/reset`, '', 0o200);
  w.link(`${at}/subsystem`, '/sys/bus/pci');
  w.link(`${PCI_DEVICES}/${d.address}`, at);
}

function addToIommuGroup(w: SysfsWriter, at: string, address: string, group: number): void {
  // §A.5: group dir with devices/<BDF> links and `type`; the device links back with `iommu_group`.
  const groupDir = `/sys/kernel/iommu_groups/${group}`;
  w.file(`${groupDir}/type`, 'DMA\n');
  w.link(`${groupDir}/devices/${address}`, at);
  w.link(`${at}/iommu_group`, groupDir);
}

function driverFiles(w: SysfsWriter, driver: string): void {
  for (const name of ['bind', 'unbind', 'new_id', 'remove_id'])
    w.file(`${PCI_DRIVERS}/${driver}/${name}`, '', 0o200);
}

/** Bind as the kernel shows it: `driver` link on the device, device link in the driver's directory (§A.4). */
function bindDriver(w: SysfsWriter, at: string, address: string, driver: string): void {
  driverFiles(w, driver);
  w.link(`${at}/driver`, `${PCI_DRIVERS}/${driver}`);
  w.link(`${PCI_DRIVERS}/${driver}/${address}`, at);
}

function addDrm(w: SysfsWriter, at: string, drm: SimDrm): void {
  const render = drm.render ?? 128 + drm.card;
  w.mkdir(`${at}/drm/card${drm.card}`);
  w.mkdir(`${at}/drm/renderD${render}`);
  w.link(`/sys/class/drm/card${drm.card}`, `${at}/drm/card${drm.card}`);
  w.link(`/sys/class/drm/renderD${render}`, `${at}/drm/renderD${render}`);
  w.file(`/dev/dri/card${drm.card}`, '', 0o660);
  w.file(`/dev/dri/renderD${render}`, '', 0o666);
}

function writePciDevice(w: SysfsWriter, d: SimPciDevice): string {
  const at = devicePath(d);
  writeIdentity(w, d, at);
  w.file(`${at}/enable`, '1\n');
  w.file(`${at}/driver_override`, '(null)\n');
  w.file(`${at}/remove`, '', 0o220);
  w.file(`${at}/rescan`, '', 0o200);
  if (d.driver) bindDriver(w, at, d.address, d.driver);
  if (d.iommuGroup !== null) addToIommuGroup(w, at, d.address, d.iommuGroup);
  if (d.drm) addDrm(w, at, d.drm);
  return at;
}

function mustRead(root: HostRoot, hostPath: string): string {
  const read = root.readText(hostPath);
  if (!read.ok) throw new Error(`simulated tree: ${read.reason}`);
  return read.value.trim();
}

/** The i915 SR-IOV home of a PF, if its card has one (§B.1). */
function i915Home(root: HostRoot, pfAt: string): string | undefined {
  const drm = root.readDir(`${pfAt}/drm`);
  const card = drm.ok ? drm.value.find((e) => /^card\d+$/.test(e)) : undefined;
  if (!card) return undefined;
  for (const name of ['prelim_iov', 'iov']) {
    const home = `${pfAt}/drm/${card}/${name}`;
    if (root.kind(home).ok) return home;
  }
  return undefined;
}

/**
 * Add VF `index` of `pfAddress` as the PCI core and the PF driver show it once enabled: the VF's
 * device directory, `virtfnN`/`physfn` links (§A.1), its IOMMU group (§A.5), the i915 `vfN/device`
 * or xe `sriov_admin/vfN/device` link (§B.2, §C.2), and the driver binding. Everything about the PF
 * is read from the tree itself, so any tree shaped like the reference can grow VFs.
 */
export function addVf(tree: SimulatedTree, pfAddress: string, vf: SimVf): string {
  const { writer: w, root } = tree;
  const pf = root.resolve(`${PCI_DEVICES}/${pfAddress}`);
  if (!pf.ok) throw new Error(`simulated tree: ${pf.reason}`);
  const pfAt = pf.value;
  const address = vfAddress(
    pfAddress,
    vf.index,
    Number(mustRead(root, `${pfAt}/sriov_offset`)),
    Number(mustRead(root, `${pfAt}/sriov_stride`)),
  );
  const strip = (v: string) => v.replace(/^0x/, '');
  const identity: SimPciDevice = {
    address,
    parent: pfAt.slice('/sys/devices/'.length, pfAt.lastIndexOf('/')),
    vendor: strip(mustRead(root, `${pfAt}/vendor`)),
    // A VF's device id comes from the PF's SR-IOV capability, `sriov_vf_device` (§A.1, §E).
    device: mustRead(root, `${pfAt}/sriov_vf_device`),
    classCode: strip(mustRead(root, `${pfAt}/class`)),
    revision: strip(mustRead(root, `${pfAt}/revision`)),
    subsystem: [
      strip(mustRead(root, `${pfAt}/subsystem_vendor`)),
      strip(mustRead(root, `${pfAt}/subsystem_device`)),
    ],
    driver: null,
    iommuGroup: vf.iommuGroup,
    numaNode: Number(mustRead(root, `${pfAt}/numa_node`)),
  };
  const at = devicePath(identity);
  writeIdentity(w, identity, at);
  // §G.1: a VF has no remove/rescan; `enable` reads 0 until a user (vfio-pci) enables it.
  w.file(`${at}/enable`, '0\n');
  w.file(`${at}/sriov_vf_msix_count`, '', 0o200);
  // libvirt's way to bind (§A.4): driver_override names vfio-pci; host drivers bind by autoprobe.
  w.file(`${at}/driver_override`, vf.driver === 'vfio-pci' ? 'vfio-pci\n' : '(null)\n');
  w.link(`${at}/physfn`, pfAt);
  w.link(`${pfAt}/virtfn${vf.index - 1}`, at);
  if (vf.iommuGroup !== null) addToIommuGroup(w, at, address, vf.iommuGroup);
  const home = i915Home(root, pfAt);
  if (home) w.link(`${home}/vf${vf.index}/device`, at);
  if (root.kind(`${pfAt}/sriov_admin`).ok) w.link(`${pfAt}/sriov_admin/vf${vf.index}/device`, at);
  if (vf.driver) bindDriver(w, at, address, vf.driver);
  // §A.6: the group node appears when a device of the group is bound to vfio, root:root 0600.
  if (vf.driver === 'vfio-pci' && vf.iommuGroup !== null) w.file(`/dev/vfio/${vf.iommuGroup}`, '', 0o600);
  if (vf.drm) addDrm(w, at, vf.drm);
  return address;
}

function writeI915Iov(w: SysfsWriter, gpu: SimGpu, pfAt: string): void {
  const { iov, sriov } = gpu;
  if (iov?.kind !== 'i915' || !sriov || !gpu.drm) return;
  const card = `${pfAt}/drm/card${gpu.drm.card}`;
  // §B.1: backports and lts keep the real directory `prelim_iov` and add `iov -> prelim_iov`.
  const home = `${card}/${iov.layout === 'iov' ? 'iov' : 'prelim_iov'}`;
  if (iov.layout === 'prelim_iov+iov') w.rawLink(`${card}/iov`, 'prelim_iov');
  w.file(`${home}/mode`, 'SR-IOV PF\n', 0o444);
  w.file(`${home}/pf/auto_provisioning`, '1\n');
  w.link(`${home}/pf/device`, pfAt);
  writeValues(w, `${home}/pf`, iov.pf);
  const enabled = new Set(gpu.vfs.map((v) => v.index));
  // §B.2: a vfN directory for every VF the driver allows, enabled or not.
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

function writeXeSriovAdmin(w: SysfsWriter, gpu: SimGpu, pfAt: string): void {
  const { iov, sriov } = gpu;
  if (iov?.kind !== 'xe' || !sriov) return;
  const admin = `${pfAt}/sriov_admin`;
  // §C.2: write-only bulk setters; vram_quota only with LMTT (discrete).
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
      // VF sched_priority is read-only (§C.2); vram_quota reads 0 until provisioned.
      const shown = name === 'vram_quota' && !enabled.has(n) ? 0 : value;
      w.file(`${admin}/vf${n}/profile/${name}`, `${shown}\n`, name === 'sched_priority' ? 0o444 : 0o644);
    }
  }
}

function writeGvt(w: SysfsWriter, gpu: SimGpu, pfAt: string): void {
  if (!gpu.gvt) return;
  // §D.1: type directory `<parent driver>-<sysfs_name>`, five-line description, `available_instances`.
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
  // §D.2: instance under the parent, reachable from /sys/bus/mdev/devices and the type's devices/.
  gpu.gvt.instances.forEach((instance, i) => {
    const at = `${pfAt}/${instance.uuid}`;
    w.file(`${at}/remove`, '', 0o200);
    w.link(`${at}/mdev_type`, typeDir(instance.type));
    w.link(`${typeDir(instance.type)}/devices/${instance.uuid}`, at);
    w.link(`/sys/bus/mdev/devices/${instance.uuid}`, at);
    w.link(`${at}/driver`, '/sys/bus/mdev/drivers/intel_vgpu_mdev');
    w.file(`${at}/intel_vgpu/vgpu_id`, `${i + 1}\n`, 0o444);
    const groupDir = `/sys/kernel/iommu_groups/${instance.iommuGroup}`;
    w.link(`${groupDir}/devices/${instance.uuid}`, at);
    w.link(`${at}/iommu_group`, groupDir);
    w.file(`/dev/vfio/${instance.iommuGroup}`, '', 0o600);
  });
}

function writeDebugfs(w: SysfsWriter, gpu: SimGpu): void {
  if (!gpu.drm || (!gpu.guc && !gpu.huc)) return;
  // §B.7: the DRM debugfs directory is named for the device, `dri/<minor>` links to it; GT dirs `gt%u`.
  const dri = '/sys/kernel/debug/dri';
  const uc = `${dri}/${gpu.address}/gt0/uc`;
  if (gpu.guc) w.file(`${uc}/guc_info`, gucInfoText(gpu.guc), 0o444);
  if (gpu.huc) w.file(`${uc}/huc_info`, hucInfoText(gpu.huc), 0o444);
  w.rawLink(`${dri}/${gpu.drm.card}`, gpu.address);
  w.rawLink(`${dri}/${gpu.drm.render ?? 128 + gpu.drm.card}`, gpu.address);
}

function writeGpu(tree: SimulatedTree, gpu: SimGpu): void {
  const w = tree.writer;
  const pfAt = writePciDevice(w, gpu);
  if (gpu.sriov) {
    // §A.1 PF-only files; `sriov_vf_device` is bare lower-case hex, unlike `device`.
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
  for (const vf of gpu.vfs) addVf(tree, gpu.address, vf);
  writeGvt(w, gpu, pfAt);
  if (gpu.drm && gpu.connectors)
    writeConnectors(w, `${pfAt}/drm/card${gpu.drm.card}`, gpu.drm.card, gpu.connectors);
}

function writeKernel(w: SysfsWriter, host: SimulatedHostDescription): void {
  w.file('/proc/cmdline', `${host.cmdline}\n`, 0o444);
  writeKvmParameters(w, host);
  // /proc/modules: name, size, refcount, users, state, address (kernel/module/procfs.c).
  w.file(
    '/proc/modules',
    host.modules.map((m) => `${m} 16384 0 - Live 0x0000000000000000\n`).join(''),
    0o444,
  );
  for (const [module, parameters] of Object.entries(host.moduleParameters)) {
    // §B.5/§C.1: these parameters are 0400, readable by root only; the simulation keeps the mode.
    for (const [name, value] of Object.entries(parameters)) {
      w.file(`/sys/module/${module}/parameters/${name}`, `${value}\n`, 0o400);
    }
  }
  w.mkdir('/sys/class/iommu');
  w.mkdir('/sys/kernel/iommu_groups');
  if (host.iommu) {
    // §A.5: /sys/class/iommu is non-empty when an IOMMU is on (Intel VT-d units are dmarN).
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
  if (usesVfio) w.file('/dev/vfio/vfio', '', 0o666); // §A.6: the container node is world read-write
  w.file('/sys/bus/pci/drivers_autoprobe', '1\n');
  w.file('/sys/bus/pci/drivers_probe', '', 0o200);
  if (host.modules.includes('vfio_pci')) driverFiles(w, 'vfio-pci');
  // Not mounted, debugfs is an empty mount point.
  w.mkdir(host.debugfs ? '/sys/kernel/debug/dri' : '/sys/kernel/debug');
}

/** Materialise `host` into `dir` (which must be empty or absent). */
export function buildHostTree(host: SimulatedHostDescription, dir: string): SimulatedTree {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0)
    throw new Error(`${dir} is not empty: the simulation builds into a fresh directory`);
  const writer = createSysfsWriter(dir);
  const tree: SimulatedTree = { writer, root: createHostRoot(dir) };
  writeKernel(writer, host);
  for (const device of host.devices) writePciDevice(writer, device);
  for (const gpu of host.gpus) writeGpu(tree, gpu);
  if (host.debugfs) for (const gpu of host.gpus) writeDebugfs(writer, gpu);
  const marker: SimulationMarker = {
    name: host.name,
    title: host.title,
    builderVersion: SIMULATION_BUILDER_VERSION,
  };
  writer.file(`/${SIMULATION_MARKER_FILE}`, JSON.stringify(marker, null, 2) + '\n');
  return tree;
}
