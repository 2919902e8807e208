/**
 * The platform half of the argv: machine, CPU model, guest RAM, firmware and TPM. Pure, like
 * buildQemuArgs, which puts these pieces in place.
 */
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';
import type { QemuHost } from './qemu-args';
import { escapeOptionValue as opt } from './qemu-option';

const MEMORY_BACKEND_ID = 'mem0';

/** Guest RAM from a memfd when hugepages, sharing or blob resources ask for it. */
export function usesMemfd(spec: VmSpec, graphicsNeedsMemfd: boolean): boolean {
  return spec.memoryBacking.hugepages !== 'off' || spec.memoryBacking.shared || graphicsNeedsMemfd;
}

export function machineOption(spec: VmSpec, host: QemuHost, memfd: boolean): string {
  const machine = ['q35', `accel=${host.accelerator}`];
  // OVMF's Secure Boot build refuses to run without SMM (Debian's README.Debian for ovmf).
  if (spec.firmware === 'uefi-secure-boot') machine.push('smm=on');
  // A legacy -machine spelling QEMU still takes and hands to the KVM accelerator; the SR-IOV
  // launchers write it this way. TCG ignores it.
  if (spec.machine.kernelIrqchip !== 'auto') machine.push(`kernel_irqchip=${spec.machine.kernelIrqchip}`);
  if (memfd) machine.push(`memory-backend=${MEMORY_BACKEND_ID}`);
  if (spec.firmware !== 'bios') machine.push('pflash0=ovmf-code', 'pflash1=ovmf-vars');
  return machine.join(',');
}

/**
 * The Hyper-V enlightenments Windows benefits from most, which QEMU also offers under TCG (the
 * ones built on VP_INDEX, such as synic and stimer, need KVM). There is deliberately no
 * `kvm=off` or `hv-vendor-id`: hiding the hypervisor gives Code 43 with SR-IOV VFs.
 */
export const HYPERV_ENLIGHTENMENTS = ['hv-relaxed=on', 'hv-vapic=on', 'hv-spinlocks=0x1fff', 'hv-time=on'];

export function cpuOption(spec: VmSpec, host: QemuHost): string {
  // `max` under TCG emulates every feature QEMU can, so guests built for x86-64-v2 and later
  // still boot; `host` needs KVM.
  const model = host.accelerator === 'kvm' ? 'host' : 'max';
  return spec.hyperv ? [model, ...HYPERV_ENLIGHTENMENTS].join(',') : model;
}

export function memoryBackendArgs(spec: VmSpec): string[] {
  const options = ['memory-backend-memfd', `id=${MEMORY_BACKEND_ID}`, `size=${spec.memoryMiB}M`];
  const { hugepages, shared } = spec.memoryBacking;
  if (hugepages !== 'off') options.push('hugetlb=on', `hugetlbsize=${hugepages}`);
  if (shared) options.push('share=on');
  return ['-object', options.join(',')];
}

/** OVMF as two flash chips: shared code read-only, and this VM's own copy of the variable store. */
export function uefiArgs(spec: VmSpec, host: QemuHost): string[] {
  if (!host.firmware) {
    throw new TesseraError(
      'UNAVAILABLE',
      `VM '${spec.name}' uses UEFI firmware but no OVMF${spec.firmware === 'uefi-secure-boot' ? ' Secure Boot build' : ''} was found: install the Debian package ovmf (apt install ovmf)`,
    );
  }
  const vars = spec.firmware === 'uefi-secure-boot' ? host.data.uefiSecureBootVars : host.data.uefiVars;
  const args = [
    '-blockdev',
    `driver=raw,node-name=ovmf-code,read-only=on,file.driver=file,file.filename=${opt(host.firmware.ovmfCode)}`,
    '-blockdev',
    `driver=raw,node-name=ovmf-vars,file.driver=file,file.filename=${opt(vars)}`,
  ];
  // Only code running in SMM may write the variable store, so the guest cannot change its own keys.
  if (spec.firmware === 'uefi-secure-boot')
    args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  return args;
}

/** A TPM 2.0 on the CRB interface, served by swtpm on the VM's socket (QEMU's docs/specs/tpm.rst). */
export function tpmArgs(host: QemuHost): string[] {
  return [
    '-chardev',
    `socket,id=tpm0-sock,path=${opt(host.runtime.swtpm)}`,
    '-tpmdev',
    'emulator,id=tpm0,chardev=tpm0-sock',
    '-device',
    'tpm-crb,id=tpm0-crb,tpmdev=tpm0',
  ];
}
