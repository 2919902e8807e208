/**
 * Whether a VM has anything to boot, read from its spec alone (never guessed from its screen).
 * The argv (src/main/vm/qemu-args.ts) gives the firmware only what the spec names: a direct
 * kernel, the disks, the CD-ROM, and host USB devices (a stick may boot). Its network card gets
 * no boot index, and QEMU's user network offers no boot server, so the card boots nothing.
 */
import type { VmConfig } from './vm-spec';

/** A spec, or the input the editor's form would send (its lists may still be left to their defaults). */
type BootFields = Partial<Pick<VmConfig, 'cdrom' | 'kernel'>> & {
  disks?: readonly unknown[] | undefined;
  usb?: readonly unknown[] | undefined;
};

export function hasNothingToBoot(spec: BootFields): boolean {
  return (
    spec.kernel === undefined &&
    spec.cdrom === undefined &&
    (spec.disks?.length ?? 0) === 0 &&
    (spec.usb?.length ?? 0) === 0
  );
}

/** Said on the card, the console page and the editor, so the three agree. */
export const NOTHING_TO_BOOT =
  'No bootable device: no disk, CD-ROM image, Linux kernel or USB device to start from.';

/**
 * Why Shut down is no use for such a VM: an ACPI shutdown needs an operating system to answer
 * it, and the backend waits its grace period (60 s: the default `timeoutSeconds` of `vm.stop` in src/shared/contract.ts) before forcing
 * the VM off anyway.
 */
export const nothingToShutDown = (name: string): string =>
  `${name} has nothing to boot, so no operating system runs to answer a shutdown request: Shut down would wait 60 s and then force it off anyway.`;
