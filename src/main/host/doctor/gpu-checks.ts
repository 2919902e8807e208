import type { Gpu, GpuInventory } from '../../../shared/gpu-inventory';
import type { DoctorCheck, HostFacts } from '../../../shared/host-report';
import { kernelParam } from '../kernel-facts';
import { describeGpu, kernelParamFix, makeCheck } from './check';

/** How this host would split its GPU: SR-IOV VFs, GVT-g vGPUs, or not known. */
export type SplitMode = 'sriov' | 'gvt' | 'unknown';

export interface GpuContext {
  /** The Intel GPU the GPU checks are about: the one closest to being split. */
  gpu: Gpu;
  mode: SplitMode;
  others: Gpu[];
}

export function splitMode(gpu: Gpu): SplitMode {
  if (gpu.mdevTypes.length > 0 || gpu.support?.gvt) return 'gvt';
  if (gpu.sriov !== null || (gpu.support?.sriovDrivers.length ?? 0) > 0) return 'sriov';
  return 'unknown';
}

function readiness(gpu: Gpu): number {
  return (
    ((gpu.sriov?.totalVfs ?? 0) > 0 ? 4 : 0) +
    (gpu.mdevTypes.length > 0 ? 4 : 0) +
    (gpu.sriovInterface !== 'none' ? 2 : 0) +
    (splitMode(gpu) !== 'unknown' ? 1 : 0)
  );
}

export function gpuContext(inventory: GpuInventory): GpuContext | null {
  const ranked = [...inventory.gpus].sort((a, b) => readiness(b) - readiness(a));
  const [gpu, ...others] = ranked;
  return gpu ? { gpu, mode: splitMode(gpu), others } : null;
}

const HOST_ROOT = 'host-root';

/** docs/sriov-sysfs.md#device-ids: which drivers can make VFs on this platform, in the order Tessera suggests them. */
function driverAdvice(gpu: Gpu): string {
  const drivers = gpu.support?.sriovDrivers ?? [];
  const words = {
    'i915-sriov-dkms': 'the i915-sriov-dkms module (out-of-tree i915 with SR-IOV)',
    'i915-backports': "Intel's i915 backports (intel-gpu-i915-backports)",
    xe: `xe with xe.force_probe=${gpu.deviceId} on a kernel whose xe supports SR-IOV here`,
  } as const;
  if (drivers.length === 0) return `No driver known to Tessera can make VFs on ${gpu.name}.`;
  return `Install ${drivers.map((d) => words[d]).join(', or ')}.`;
}

/** `i915.max_vfs=N` or `xe.max_vfs=N` with N from the platform table (docs/sriov-sysfs.md#i915-module-parameters, #xe-module-parameters-and-configfs, #device-ids). */
function maxVfsParam(gpu: Gpu): string {
  const module = gpu.driver === 'xe' ? 'xe' : 'i915';
  return `${module}.max_vfs=${gpu.support?.typicalVfs ?? gpu.sriov?.totalVfs ?? 7}`;
}

export function gpuCheck(inventory: GpuInventory, ctx: GpuContext | null): DoctorCheck {
  if (!ctx) {
    const others = inventory.otherDisplays.map(
      (d) => `${d.vendorId}:${d.deviceId}${d.driver ? ` (${d.driver})` : ''}`,
    );
    return makeCheck('gpu', 'Intel GPU', HOST_ROOT, {
      status: 'fail',
      summary:
        others.length > 0
          ? `No Intel GPU: the display devices here are ${others.join(', ')}.`
          : 'No Intel GPU and no other display device on the PCI bus.',
      fix: 'Tessera splits Intel GPUs only: SR-IOV from Tiger Lake on, Flex and Battlemage cards; GVT-g up to Comet Lake.',
    });
  }
  const { gpu, others } = ctx;
  const more = others.length > 0 ? ` (and ${others.map(describeGpu).join(', ')})` : '';
  if (!gpu.support) {
    return makeCheck('gpu', 'Intel GPU', HOST_ROOT, {
      status: 'warn',
      summary: `Intel GPU 8086:${gpu.deviceId} at ${gpu.address}${more} is not in Tessera's platform table, so its SR-IOV and GVT-g support is not known.`,
      device: gpu.address,
    });
  }
  return makeCheck('gpu', 'Intel GPU', HOST_ROOT, {
    status: 'pass',
    summary: `${gpu.name} (${gpu.platform}, 8086:${gpu.deviceId}) at ${gpu.address}${more}.`,
    device: gpu.address,
  });
}

export function driverCheck(ctx: GpuContext): DoctorCheck {
  const { gpu, mode } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('driver', 'GPU driver', HOST_ROOT, { device: gpu.address, ...fields });
  if (gpu.driver === null) {
    // docs/sriov-sysfs.md#writing-sriov_numvfs step 4: with no driver bound, writing sriov_numvfs fails with ENOENT.
    return check({
      status: 'fail',
      summary: `No driver is bound to ${gpu.address}, so the GPU can neither run nor be split.`,
      fix: mode === 'gvt' ? 'Load i915.' : driverAdvice(gpu),
      commands: [
        `sudo modprobe ${mode === 'gvt' ? 'i915' : gpu.support?.sriovDrivers[0] === 'xe' ? 'xe' : 'i915'}`,
      ],
    });
  }
  if (gpu.driver === 'vfio-pci') {
    // docs/sriov-sysfs.md#driver-binding: vfio-pci holds the whole GPU (passthrough); VFs need the PF driver.
    return check({
      status: 'warn',
      summary: `${gpu.address} is held by vfio-pci for whole-GPU passthrough; it cannot be split while it is.`,
      fix: 'Give the GPU back to its host driver to split it.',
      commands: [
        `echo | sudo tee /sys/bus/pci/devices/${gpu.address}/driver_override`,
        `echo ${gpu.address} | sudo tee /sys/bus/pci/drivers/vfio-pci/unbind`,
        `echo ${gpu.address} | sudo tee /sys/bus/pci/drivers_probe`,
      ],
    });
  }
  if (gpu.driver !== 'i915' && gpu.driver !== 'xe') {
    return check({ status: 'fail', summary: `${gpu.address} is driven by ${gpu.driver}, not i915 or xe.` });
  }
  if (mode === 'gvt') {
    // docs/sriov-sysfs.md#gvt-g: GVT-g is part of i915 (mainline included); xe has none.
    return gpu.driver === 'i915'
      ? check({ status: 'pass', summary: 'i915 drives the GPU; GVT-g is part of i915, mainline included.' })
      : check({ status: 'fail', summary: 'xe has no GVT-g.', fix: 'Use i915 for this GPU.' });
  }
  if (mode === 'unknown') {
    return check({
      status: 'unknown',
      summary: `${gpu.driver} drives the GPU; whether it can split it is not known.`,
    });
  }
  const layout = {
    'i915-prelim_iov': 'i915 with SR-IOV (prelim_iov: i915-sriov-dkms or Intel mainline-tracking)',
    'i915-prelim_iov+iov':
      "i915 with SR-IOV (prelim_iov with an iov link: Intel's backports or linux-intel-lts)",
    'i915-iov': 'i915 with SR-IOV (iov: an i915-sriov-dkms from before 2023)',
    'xe-sriov_admin': 'xe with sriov_admin (Linux 6.19 or later): VFs are provisioned from sysfs',
  } as const;
  if (gpu.sriovInterface !== 'none') {
    return check({ status: 'pass', summary: `${layout[gpu.sriovInterface]}.` });
  }
  if (gpu.driver === 'xe') {
    if (!gpu.support?.sriovDrivers.includes('xe')) {
      // docs/sriov-sysfs.md#device-ids and #sriov_totalvfs: xe without has_sriov for this platform reports sriov_totalvfs 0.
      return check({
        status: 'fail',
        summary: `xe has no SR-IOV for ${gpu.name}.`,
        fix: driverAdvice(gpu),
      });
    }
    return check({
      status: (gpu.sriov?.totalVfs ?? 0) > 0 ? 'warn' : 'pass',
      summary:
        'xe can make VFs, but this kernel has no sriov_admin (it came with Linux 6.19): VF settings are only in debugfs, for root.',
    });
  }
  if (gpu.driverHasMaxVfs) {
    // docs/sriov-sysfs.md#i915-pf-and-vf-nodes: the out-of-tree i915 makes its prelim_iov tree only in PF mode (max_vfs > 0).
    return check({
      status: 'pass',
      summary: 'An i915 that can make VFs (it has a max_vfs parameter); PF mode is off.',
    });
  }
  // docs/sriov-sysfs.md#i915-sr-iov: mainline i915 has no SR-IOV PF support; docs/sriov-sysfs.md#writing-sriov_numvfs step 5: sriov_numvfs writes fail with ENOENT.
  return check({
    status: 'fail',
    summary:
      'Mainline i915 cannot make VFs: it has no SR-IOV PF support, so writing sriov_numvfs fails with ENOENT.',
    fix: driverAdvice(gpu),
  });
}

export function sriovCheck(ctx: GpuContext, facts: HostFacts): DoctorCheck {
  const { gpu, mode } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('sriov', 'SR-IOV', HOST_ROOT, { device: gpu.address, ...fields });
  if (mode === 'gvt') {
    return check({
      status: 'pass',
      applies: false,
      summary: `Not needed: ${gpu.name} has no SR-IOV and is split with GVT-g.`,
    });
  }
  if (gpu.sriov === null) {
    return check({
      status: mode === 'unknown' ? 'unknown' : 'fail',
      summary: `${gpu.address} shows no SR-IOV capability (no sriov_totalvfs).`,
      fix:
        mode === 'unknown'
          ? null
          : 'Update the system firmware (BIOS); the PCI core did not find an SR-IOV capability.',
    });
  }
  const { totalVfs, numVfs } = gpu.sriov;
  const canProvision = gpu.sriovInterface !== 'none' || gpu.driver === 'xe';
  if (totalVfs === 0 || (gpu.driver === 'i915' && !canProvision && gpu.driverHasMaxVfs)) {
    // docs/sriov-sysfs.md#sriov_totalvfs: strongtz i915 with max_vfs=0 sets sriov_totalvfs to 0; backports keeps the hardware
    // value but is not in PF mode, so writes fail with ENODEV. Either way max_vfs is the fix.
    const param = maxVfsParam(gpu);
    return check({
      status: 'fail',
      summary:
        totalVfs === 0
          ? `The driver allows no VFs (sriov_totalvfs is 0): ${gpu.driver ?? 'the driver'} runs the GPU without VFs until max_vfs is set.`
          : `The hardware has ${totalVfs} VFs but i915 is not in PF mode (max_vfs is 0), so enabling VFs fails with ENODEV.`,
      ...kernelParamFix(facts.cmdline, [param]),
    });
  }
  if (!canProvision && gpu.driver === 'i915') {
    return check({
      status: 'warn',
      summary: `The device allows ${totalVfs} VFs, but this i915 cannot make them (see the driver check).`,
    });
  }
  return check({
    status: 'pass',
    summary: `${totalVfs} VFs allowed, ${numVfs} enabled.`,
  });
}

export function gucCheck(ctx: GpuContext, facts: HostFacts): DoctorCheck {
  const { gpu, mode } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('guc', 'GuC firmware', HOST_ROOT, { device: gpu.address, ...fields });
  const { guc } = gpu;
  if (mode === 'gvt') {
    // docs/sriov-sysfs.md#gvt-g: GVT-g is refused while GuC submission is wanted.
    if (guc.state === 'known' && guc.submission) {
      return check({
        status: 'fail',
        summary: 'GuC submission is on, and i915 refuses GVT-g with GuC submission.',
        ...kernelParamFix(facts.cmdline, ['i915.enable_guc=0']),
      });
    }
    return check({
      status: 'pass',
      applies: false,
      summary:
        guc.state === 'known'
          ? `Not needed: GuC is ${guc.status}, as GVT-g wants it.`
          : 'Not needed: GVT-g runs without GuC submission.',
    });
  }
  const enableGuc = kernelParam(facts.cmdline, 'i915.enable_guc');
  if (guc.state === 'unknown') {
    const asked =
      enableGuc !== undefined ? ` The kernel command line asks for i915.enable_guc=${enableGuc}.` : '';
    return check({
      status: 'unknown',
      summary: `GuC state unknown: ${guc.reason}.${asked}`,
      fix: guc.reason.includes('root') ? 'Run the doctor as root to read debugfs.' : null,
      commands: guc.reason.includes('root') ? ['sudo tessera doctor'] : [],
    });
  }
  const version = guc.foundVersion ? ` ${guc.foundVersion}` : '';
  // docs/sriov-sysfs.md#i915-module-parameters enable_guc bit 1 = GuC submission; docs/sriov-sysfs.md#xe-module-parameters-and-configfs: xe needs GuC submission for a PF.
  const submissionFix =
    gpu.driver === 'xe'
      ? { fix: 'xe always uses GuC submission; check dmesg for why it did not start.' }
      : kernelParamFix(facts.cmdline, ['i915.enable_guc=3']);
  if (guc.status === 'RUNNING' && guc.submission) {
    if (guc.wantedVersion) {
      return check({
        status: 'warn',
        summary: `GuC${version} runs with submission, but the driver wants ${guc.wantedVersion} (${guc.firmware}).`,
        fix: 'Update the GPU firmware package (linux-firmware, or firmware-misc-nonfree on Debian).',
      });
    }
    return check({ status: 'pass', summary: `GuC${version} runs with submission (${guc.firmware}).` });
  }
  if (guc.status === 'RUNNING') {
    return check({
      status: 'fail',
      summary: `GuC${version} runs, but GuC submission is off; SR-IOV needs it.`,
      ...submissionFix,
    });
  }
  if (guc.status === 'disabled' || guc.status === 'not supported') {
    return check({
      status: 'fail',
      summary: `GuC is ${guc.status}; SR-IOV needs GuC submission.`,
      ...submissionFix,
    });
  }
  return check({
    status: 'fail',
    summary: `GuC firmware ${guc.firmware ?? ''} is ${guc.status}.`,
    fix: 'Install the GPU firmware (linux-firmware, or firmware-misc-nonfree on Debian) and reboot.',
  });
}

export function gvtCheck(ctx: GpuContext, facts: HostFacts): DoctorCheck {
  const { gpu, mode } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('gvt', 'GVT-g', HOST_ROOT, { device: gpu.address, ...fields });
  if (mode === 'sriov') {
    return check({
      status: 'pass',
      applies: false,
      summary: `Not needed: ${gpu.name} is split with SR-IOV; GVT-g ends with Comet Lake.`,
    });
  }
  if (gpu.mdevTypes.length > 0) {
    const types = gpu.mdevTypes.map((t) => `${t.id}: ${t.availableInstances ?? '?'} free`).join(', ');
    const free = gpu.mdevTypes.some((t) => (t.availableInstances ?? 0) > 0);
    return check({
      status: free ? 'pass' : 'warn',
      summary: `GVT-g is on: ${types}; ${gpu.mdevInstances.length} vGPU(s) created.`,
      ...(free ? {} : { fix: 'Remove an unused vGPU to free room for another.' }),
    });
  }
  if (mode === 'unknown') {
    return check({ status: 'unknown', summary: `Whether ${gpu.name} has GVT-g is not known.` });
  }
  // docs/sriov-sysfs.md#gvt-g: GVT-g needs i915.enable_gvt=1 and the kvmgt module.
  const gvtOn = ['1', 'Y', 'y'].includes(kernelParam(facts.cmdline, 'i915.enable_gvt') ?? '');
  if (gvtOn && facts.modules !== null && !facts.modules.includes('kvmgt')) {
    return check({
      status: 'fail',
      summary: 'i915.enable_gvt=1 is set but the kvmgt module is not loaded, so there are no vGPU types.',
      fix: 'Load kvmgt now and at every boot.',
      commands: ['sudo modprobe kvmgt', 'echo kvmgt | sudo tee /etc/modules-load.d/kvmgt.conf'],
    });
  }
  const param = kernelParamFix(facts.cmdline, ['i915.enable_gvt=1']);
  return check({
    status: 'fail',
    summary: `GVT-g is off: ${gpu.address} offers no vGPU types.`,
    fix: `${param.fix} Load kvmgt too.`,
    commands: [
      ...param.commands.slice(0, -1),
      'echo kvmgt | sudo tee /etc/modules-load.d/kvmgt.conf',
      'sudo reboot',
    ],
  });
}

export function autoprobeCheck(ctx: GpuContext): DoctorCheck {
  const { gpu, mode } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('autoprobe', 'VF autoprobe', HOST_ROOT, { device: gpu.address, ...fields });
  if (mode !== 'sriov' || gpu.sriov === null || gpu.sriov.autoprobe === null) {
    return check({ status: 'pass', applies: false, summary: 'Not needed: no SR-IOV here.' });
  }
  if (!gpu.sriov.autoprobe) {
    return check({
      status: 'pass',
      summary: 'New VFs stay unbound until a VM takes them (sriov_drivers_autoprobe is 0).',
    });
  }
  // docs/sriov-sysfs.md#driver-binding: autoprobe 1 lets the host driver probe every new VF; desktops that open the new render
  // nodes have hung the GPU (qemu-gpu-guests.md, i915-sriov-dkms#279).
  return check({
    status: 'warn',
    summary:
      'New VFs are taken by the host GPU driver as they appear (sriov_drivers_autoprobe is 1); a desktop that opens them can hang the GPU.',
    fix: 'Turn autoprobe off before enabling VFs.',
    commands: [`echo 0 | sudo tee /sys/bus/pci/devices/${gpu.address}/sriov_drivers_autoprobe`],
  });
}

export function vfioAccessCheck(ctx: GpuContext, facts: HostFacts): DoctorCheck {
  const { gpu } = ctx;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('vfio-access', 'VFIO groups', HOST_ROOT, { device: gpu.address, ...fields });
  const groups = [
    ...gpu.vfs.filter((v) => v.driver === 'vfio-pci').map((v) => v.iommuGroup),
    ...gpu.mdevInstances.map((m) => m.iommuGroup),
  ].filter((g): g is number => g !== null);
  if (groups.length === 0) {
    return check({
      status: 'pass',
      summary: 'No VF or vGPU is on vfio yet, so there is no group node to open.',
    });
  }
  // docs/sriov-sysfs.md#vfio-device-nodes: /dev/vfio/<group> appears with the vfio binding, root:root 0600 unless given to the user.
  const nodes = groups.map((g) => ({
    group: g,
    node: facts.devVfio.find((n) => n.node === `/dev/vfio/${g}`),
  }));
  const missing = nodes.filter((n) => !n.node).map((n) => `/dev/vfio/${n.group}`);
  if (missing.length > 0) {
    return check({ status: 'fail', summary: `Bound to vfio but missing: ${missing.join(', ')}.` });
  }
  const closed = nodes.filter((n) => !n.node?.readWrite).map((n) => `/dev/vfio/${n.group}`);
  if (closed.length > 0) {
    return check({
      status: 'warn',
      summary: `${closed.join(', ')} can be opened by root only, so QEMU running as you cannot use ${closed.length > 1 ? 'them' : 'it'}.`,
      fix: 'Give the group node to your user (libvirt does the same before it starts a VM).',
      commands: closed.map((node) => `sudo chown $USER ${node}`),
    });
  }
  return check({ status: 'pass', summary: `You can open ${nodes.map((n) => n.node?.node).join(', ')}.` });
}
