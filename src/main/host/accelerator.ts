import fs from 'node:fs';
import { TesseraError } from '../../shared/errors';
import type { KvmFindings } from '../../shared/host-report';

export type Accelerator = 'kvm' | 'tcg';

export interface AcceleratorChoice {
  accelerator: Accelerator;
  /** Why this one, in one sentence a user can act on when it is the slow one. */
  reason: string;
  findings: KvmFindings;
}

const ACCELERATORS: readonly Accelerator[] = ['kvm', 'tcg'];

/** `TESSERA_ACCEL`, checked; undefined when unset or empty. */
export function acceleratorOverride(env: NodeJS.ProcessEnv): Accelerator | undefined {
  const override = env.TESSERA_ACCEL;
  if (override === undefined || override === '') return undefined;
  if (!isAccelerator(override)) {
    throw new TesseraError(
      'BAD_INPUT',
      `TESSERA_ACCEL=${override} is not an accelerator: use ${ACCELERATORS.join(' or ')}`,
    );
  }
  return override;
}

/**
 * Hardware virtualization as /proc/cpuinfo's flags show it, the way virt-host-validate reads it
 * (libvirt tools/virt-host-validate-qemu.c: `vmx` or `svm`); `hypervisor` is set by a CPU that
 * is itself virtual (a cloud VM), where the fix is nested virtualization, not the BIOS.
 */
export function readCpuVirtualization(cpuinfo: string): KvmFindings['cpu'] {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (flags === undefined) return null;
  const set = new Set(flags.trim().split(/\s+/));
  return {
    virtualization: set.has('vmx') ? 'vmx' : set.has('svm') ? 'svm' : null,
    hypervisor: set.has('hypervisor'),
  };
}

/** Whether this user can open /dev/kvm read-write, as QEMU needs for `accel=kvm`. */
export function checkDevKvm(
  devKvmPath: string,
  access: (path: string, mode: number) => void = fs.accessSync,
): KvmFindings['devKvm'] {
  try {
    access(devKvmPath, fs.constants.R_OK | fs.constants.W_OK);
    return { path: devKvmPath, access: 'read-write', detail: `${devKvmPath} is readable and writable` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        path: devKvmPath,
        access: 'missing',
        detail: `${devKvmPath} missing: enable virtualization in firmware and load kvm_intel (or kvm_amd)`,
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        path: devKvmPath,
        access: 'no-permission',
        detail: `no permission on ${devKvmPath}: add your user to the kvm group`,
      };
    }
    return {
      path: devKvmPath,
      access: 'error',
      detail: `cannot open ${devKvmPath} (${code ?? String(error)})`,
    };
  }
}

/** What the CPU flags add to a refusal: why KVM cannot work here, when they show it. */
export function cpuNote(cpu: KvmFindings['cpu']): string {
  if (cpu === null || cpu.virtualization !== null) return '';
  return cpu.hypervisor
    ? ' (the CPU shows no vmx or svm flag: this machine is a VM without nested virtualization)'
    : ' (the CPU shows no vmx or svm flag: virtualization is off in the firmware)';
}

/**
 * KVM when this user may open /dev/kvm and QEMU ran the test guest under it (kvm-probe.ts), else
 * TCG with the reason. The CPU flags do not decide (a paravirtual KVM may work without them) but
 * explain a refusal. `TESSERA_ACCEL` overrides everything, e.g. TCG in tests.
 */
export function decideAccelerator(
  override: Accelerator | undefined,
  findings: KvmFindings,
): Omit<AcceleratorChoice, 'findings'> {
  if (override !== undefined) return { accelerator: override, reason: `TESSERA_ACCEL=${override}` };
  if (findings.devKvm.access !== 'read-write') return { accelerator: 'tcg', reason: findings.devKvm.detail };
  const { probe } = findings;
  if (probe === null) return { accelerator: 'kvm', reason: findings.devKvm.detail };
  if (probe.ok) return { accelerator: 'kvm', reason: probe.reason };
  return {
    accelerator: 'tcg',
    reason: `${probe.reason}${cpuNote(findings.cpu)}, so guests run in software (TCG)`,
  };
}

function isAccelerator(value: string): value is Accelerator {
  return (ACCELERATORS as readonly string[]).includes(value);
}
