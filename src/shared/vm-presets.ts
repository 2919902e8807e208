import type { z } from 'zod';
import type { VmConfig } from './vm-spec';

/**
 * What a stock Windows 11 install needs: Microsoft's minimum (UEFI with Secure Boot, TPM 2.0,
 * 2 cores, 4 GiB), Hyper-V enlightenments, and a disk bus and NIC that the installer drives
 * without extra drivers (AHCI and Intel's 82574L; virtio would need virtio-win first).
 * The hypervisor stays visible: hiding it gives Code 43 with SR-IOV VFs (qemu-gpu-guests.md).
 */
export const WINDOWS11_PROFILE = {
  firmware: 'uefi-secure-boot',
  tpm: true,
  hyperv: true,
  diskBus: 'sata',
  nicModel: 'e1000e',
  minCpus: 2,
  minMemoryMiB: 4096,
} as const;

type ConfigInput = z.input<typeof VmConfig>;

/** The input with the Windows 11 profile applied; what it does not concern is left as given. */
export function applyWindows11Profile<T extends ConfigInput>(input: T): T {
  const p = WINDOWS11_PROFILE;
  return {
    ...input,
    cpus: Math.max(input.cpus ?? 1, p.minCpus),
    memoryMiB: Math.max(input.memoryMiB ?? 0, p.minMemoryMiB),
    firmware: p.firmware,
    tpm: p.tpm,
    hyperv: p.hyperv,
    disks: (input.disks ?? []).map((disk) => ({ ...disk, bus: p.diskBus })),
    network: { ...input.network, model: p.nicModel },
  };
}
