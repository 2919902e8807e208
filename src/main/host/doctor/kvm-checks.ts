import type { DoctorCheck, HostFacts } from '../../../shared/host-report';
import { isForcedAccelerator } from '../../../shared/accelerator-note';
import { cpuNote } from '../accelerator';
import { makeCheck } from './check';

/**
 * The three findings the accelerator is chosen from (accelerator.ts), each with its fix: the CPU
 * flags and /dev/kvm access that libvirt's virt-host-validate checks, and the test guest
 * (kvm-probe.ts), which decides.
 */

const NESTED_FIX =
  'This machine is a VM: turn on nested virtualization for it in its hypervisor (a KVM host loads kvm_intel with nested=1 and gives the VM -cpu host; a cloud picks an instance type with nested virtualization), or run Tessera on the machine itself.';
const FIRMWARE_FIX =
  'Enable Intel VT-x (or AMD-V/SVM) in the firmware setup (BIOS), then load kvm_intel (or kvm_amd).';

export function cpuVirtualizationCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('cpu-flags', 'CPU virtualization', 'this-machine', fields);
  const { cpu } = facts.kvm;
  if (cpu === null)
    return check({ status: 'unknown', summary: 'Could not read the CPU flags in /proc/cpuinfo.' });
  if (cpu.virtualization !== null) {
    return check({
      status: 'pass',
      summary: `The CPU offers hardware virtualization (${cpu.virtualization === 'vmx' ? 'Intel VT-x, vmx' : 'AMD-V, svm'}).`,
    });
  }
  return check({
    status: 'fail',
    summary: cpu.hypervisor
      ? 'The CPU shows neither vmx (Intel VT-x) nor svm (AMD-V), and says it is virtual: this machine is a VM whose hypervisor gives it no nested virtualization.'
      : 'The CPU shows neither vmx (Intel VT-x) nor svm (AMD-V): hardware virtualization is off in the firmware.',
    fix: cpu.hypervisor ? NESTED_FIX : FIRMWARE_FIX,
  });
}

export function devKvmCheck(facts: HostFacts): DoctorCheck {
  const { devKvm } = facts.kvm;
  const check = (fields: Parameters<typeof makeCheck>[3]) =>
    makeCheck('dev-kvm', devKvm.path, 'this-machine', fields);
  switch (devKvm.access) {
    case 'read-write':
      return check({
        status: 'pass',
        summary: `${devKvm.path} is there and this user may open it read-write.`,
      });
    case 'missing':
      return check({
        status: 'fail',
        summary: `${devKvm.path} is missing: the kvm module is not loaded.`,
        fix:
          facts.kvm.cpu?.virtualization === null
            ? facts.kvm.cpu.hypervisor
              ? NESTED_FIX
              : FIRMWARE_FIX
            : 'Load kvm_intel (or kvm_amd).',
        commands: ['sudo modprobe kvm_intel'],
      });
    case 'no-permission':
      return check({
        status: 'fail',
        summary: `This user may not open ${devKvm.path}.`,
        fix: 'Add your user to the kvm group and log in again.',
        commands: ['sudo usermod -aG kvm $USER'],
      });
    case 'error':
      return check({ status: 'fail', summary: `${devKvm.detail}.` });
  }
}

/** The accelerator guests get, and the test guest's result that chose it. */
export function kvmCheck(facts: HostFacts): DoctorCheck {
  const check = (fields: Parameters<typeof makeCheck>[3]) => makeCheck('kvm', 'KVM', 'this-machine', fields);
  const { accelerator, reason } = facts.accelerator;
  const { probe, devKvm, cpu } = facts.kvm;
  if (isForcedAccelerator(reason)) {
    return check({
      status: accelerator === 'kvm' ? 'pass' : 'warn',
      summary:
        accelerator === 'kvm'
          ? `Guests use KVM because of ${reason}; the test guest was not run.`
          : `Guests run in software (TCG) because of ${reason}.`,
      fix: accelerator === 'kvm' ? null : 'Unset TESSERA_ACCEL to let Tessera use KVM where it works.',
    });
  }
  if (accelerator === 'kvm') {
    return check({
      status: 'pass',
      summary:
        probe?.ok === true
          ? `Guests use KVM: QEMU ran a test guest under it in ${probe.kvmMs} ms.`
          : `Guests use KVM: ${reason}.`,
    });
  }
  if (devKvm.access !== 'read-write') {
    return check({
      status: 'fail',
      summary: `Guests run in software (TCG): ${devKvm.detail}.`,
      fix: `See ${devKvm.path} above.`,
    });
  }
  return check({
    status: 'fail',
    summary: `Guests run in software (TCG): ${probe?.reason ?? reason}${cpuNote(cpu)}.`,
    fix:
      cpu?.virtualization === null
        ? 'Make the CPU virtualization check above pass; until then guests run in software, slowly.'
        : 'KVM opens but does not run guests: look for kvm errors in `sudo dmesg`, or tell Tessera to use software emulation with TESSERA_ACCEL=tcg.',
    commands: cpu?.virtualization === null ? [] : ['sudo dmesg | grep -i kvm'],
  });
}
