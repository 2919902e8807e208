import type { DoctorCheck, HostFacts } from '../../../shared/host-report';
import { kernelParam } from '../kernel-facts';
import { kernelParamFix, makeCheck } from './check';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function bytes(value: number): string {
  return value >= GIB
    ? `${(value / GIB).toFixed(value % GIB === 0 ? 0 : 1)} GiB`
    : `${Math.round(value / MIB)} MiB`;
}

/**
 * Windows guests read MSRs KVM does not emulate; with `ignore_msrs` off KVM injects a #GP and the
 * guest crashes (BSOD), so the SR-IOV guides set `options kvm ignore_msrs=1 report_ignored_msrs=0`
 * (qemu-gpu-guests.md, "Windows guests").
 */
export function ignoreMsrsCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('ignore-msrs', 'KVM ignore_msrs', 'host-root', fields);
  if (facts.kvmIgnoreMsrs === true) {
    return check({
      status: 'pass',
      summary: 'kvm ignores unknown MSRs (ignore_msrs=Y), as Windows guests need.',
    });
  }
  if (facts.kvmIgnoreMsrs === null) {
    const loaded = facts.modules?.includes('kvm') === true;
    return check({
      status: 'unknown',
      applies: loaded,
      summary: loaded
        ? 'Could not read /sys/module/kvm/parameters/ignore_msrs.'
        : 'kvm is not loaded, so there is no ignore_msrs to read.',
    });
  }
  return check({
    status: 'warn',
    summary:
      'kvm stops a guest that reads an MSR it does not know (ignore_msrs=N): Windows guests crash with a blue screen.',
    fix: 'Let kvm ignore unknown MSRs now and at every boot (without logging each one).',
    commands: [
      'echo Y | sudo tee /sys/module/kvm/parameters/ignore_msrs',
      "echo 'options kvm ignore_msrs=1 report_ignored_msrs=0' | sudo tee /etc/modprobe.d/tessera-kvm.conf",
    ],
  });
}

export function iommuCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) => makeCheck('iommu', 'IOMMU', 'host-root', fields);
  if (facts.iommu === null) return check({ status: 'unknown', summary: 'Could not read /sys/class/iommu.' });
  const param = kernelParam(facts.cmdline, 'intel_iommu');
  // docs/sriov-sysfs.md#iommu-groups: an IOMMU is on when /sys/class/iommu has units; docs/sriov-sysfs.md#driver-binding: vfio-pci needs an IOMMU group.
  if (facts.iommu.units.length > 0) {
    return check({
      status: 'pass',
      summary: `The IOMMU is on (${facts.iommu.units.join(', ')}, ${facts.iommu.groups} groups).`,
    });
  }
  if (param === 'off') {
    return check({
      status: 'fail',
      summary:
        'The IOMMU is off: the kernel command line says intel_iommu=off, and vfio-pci cannot take a device without it.',
      ...kernelParamFix(facts.cmdline, ['intel_iommu=on']),
    });
  }
  if (param === 'on') {
    return check({
      status: 'fail',
      summary: 'The kernel asks for the IOMMU (intel_iommu=on) but found none: VT-d is off in the firmware.',
      fix: 'Enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup (BIOS).',
    });
  }
  const fix = kernelParamFix(facts.cmdline, ['intel_iommu=on']);
  return check({
    status: 'fail',
    summary: 'The IOMMU is off, and vfio-pci cannot give a VF to a VM without it.',
    fix: `Enable VT-d in the firmware setup (BIOS). ${fix.fix}`,
    commands: fix.commands,
  });
}

export function vfioCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) => makeCheck('vfio', 'VFIO', 'host-root', fields);
  // docs/sriov-sysfs.md#driver-binding/#vfio-device-nodes: the driver directory exists once vfio-pci is registered; /dev/vfio/vfio with vfio.
  if (facts.vfioDriver) {
    const container = facts.devVfio.some((n) => n.node === '/dev/vfio/vfio');
    return check({
      status: 'pass',
      summary: `vfio-pci is loaded${container ? ' and /dev/vfio/vfio exists' : ''}.`,
    });
  }
  return check({
    status: 'fail',
    summary: 'vfio-pci is not loaded, so no VF or vGPU can be handed to a VM.',
    fix: 'Load vfio-pci now and at every boot.',
    commands: ['sudo modprobe vfio-pci', 'echo vfio-pci | sudo tee /etc/modules-load.d/vfio-pci.conf'],
  });
}

export function qemuCheck(facts: HostFacts): DoctorCheck {
  const { qemu } = facts;
  if ('error' in qemu) {
    return makeCheck('qemu', 'QEMU', 'this-machine', {
      status: 'fail',
      summary: qemu.error,
      fix: 'Install QEMU.',
      commands: ['sudo apt install qemu-system-x86'],
    });
  }
  return makeCheck('qemu', 'QEMU', 'this-machine', {
    status: 'pass',
    summary: `QEMU ${qemu.version} at ${qemu.path}.`,
  });
}

export function ovmfCheck(facts: HostFacts): DoctorCheck {
  if (facts.ovmf === null) {
    return makeCheck('ovmf', 'UEFI firmware', 'this-machine', {
      status: 'warn',
      summary: 'OVMF (UEFI for guests) is missing: Windows guests and GPU passthrough need it.',
      fix: 'Install OVMF.',
      commands: ['sudo apt install ovmf'],
    });
  }
  return makeCheck('ovmf', 'UEFI firmware', 'this-machine', {
    status: 'pass',
    summary: `OVMF at ${facts.ovmf.ovmfCode}.`,
  });
}

export function swtpmCheck(facts: HostFacts): DoctorCheck {
  if (facts.swtpm === null) {
    return makeCheck('swtpm', 'TPM emulator', 'this-machine', {
      status: 'warn',
      summary: 'swtpm is missing: Windows 11 guests need a TPM.',
      fix: 'Install swtpm.',
      commands: ['sudo apt install swtpm'],
    });
  }
  return makeCheck('swtpm', 'TPM emulator', 'this-machine', {
    status: 'pass',
    summary: `swtpm at ${facts.swtpm}.`,
  });
}

export function hugepagesCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('hugepages', 'Hugepages', 'host-root', fields);
  if (facts.hugepages === null) {
    return check({
      status: 'warn',
      summary: 'This kernel has no hugepage pools (/sys/kernel/mm/hugepages is missing).',
    });
  }
  const reserved = facts.hugepages.filter((p) => p.total > 0);
  if (reserved.length === 0) {
    return check({
      status: 'pass',
      summary:
        'No hugepages reserved. They are optional: a VM can ask for hugepage-backed RAM, reserved when it starts.',
    });
  }
  return check({
    status: 'pass',
    summary: reserved
      .map(
        (p) =>
          `${p.total} × ${bytes(p.sizeKiB * 1024)} reserved, ${p.free} free (${bytes(p.free * p.sizeKiB * 1024)})`,
      )
      .join('; '),
  });
}

/**
 * docs/sriov-sysfs.md#unprivileged-qemu-with-vfio: vfio pins all guest RAM, so without CAP_IPC_LOCK the locked-memory limit must cover it; libvirt
 * gives a VM with a VFIO device guest memory + 1 GiB.
 */
export function memlockCheck(memlock: HostFacts['memlock'], largestGuestMiB: number | null): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('memlock', 'Locked memory', 'this-machine', fields);
  if (memlock === null) return check({ status: 'unknown', summary: 'Could not read this process’s limits.' });
  if (memlock.capIpcLock) {
    return check({ status: 'pass', summary: 'This process may lock any amount of memory (CAP_IPC_LOCK).' });
  }
  if (memlock.softBytes === null)
    return check({ status: 'pass', summary: 'The locked-memory limit is unlimited.' });
  const guestMiB = largestGuestMiB ?? 1024;
  const need = guestMiB * MIB + GIB;
  const which = largestGuestMiB === null ? 'a 1 GiB guest' : `the largest VM (${guestMiB} MiB)`;
  if (memlock.softBytes >= need) {
    return check({
      status: 'pass',
      summary: `The locked-memory limit (${bytes(memlock.softBytes)}) covers ${which}.`,
    });
  }
  return check({
    status: 'warn',
    summary: `The locked-memory limit is ${bytes(memlock.softBytes)}; a VM with a VF pins all its RAM, so ${which} needs ${bytes(need)} (RAM + 1 GiB).`,
    fix: 'Raise the limit for your user, then log in again.',
    commands: [
      `printf '%s\\n' "$USER soft memlock unlimited" "$USER hard memlock unlimited" | sudo tee /etc/security/limits.d/tessera-memlock.conf`,
    ],
  });
}
