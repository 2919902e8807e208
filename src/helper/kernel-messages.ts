/**
 * The kernel's errno for a failed write, said in words for the file it came from (docs/sriov-sysfs.md#writing-sriov_numvfs,
 * docs/sriov-sysfs.md#driver-binding, #i915-pf-and-vf-nodes, #i915-provisioning-files, #xe-sriov_admin, #gvt-g). The code tells the backend what kind of failure it is.
 */
import type { HelperErrorCode } from '../shared/helper-plan';

export type WrittenFile =
  | { kind: 'sriov_numvfs'; pf: string; count: number; totalVfs: number }
  | { kind: 'autoprobe'; pf: string }
  | { kind: 'driver_override'; device: string }
  | { kind: 'unbind'; device: string; driver: string }
  | { kind: 'drivers_probe'; device: string }
  | { kind: 'provisioning'; attribute: string; value: string; device: string }
  | { kind: 'mdev_create'; type: string; uuid: string }
  | { kind: 'mdev_remove'; uuid: string }
  | { kind: 'vfio_node'; node: string }
  | { kind: 'usb_node'; node: string };

export interface KernelFailure {
  code: HelperErrorCode;
  message: string;
}

function numvfs(errno: string, f: Extract<WrittenFile, { kind: 'sriov_numvfs' }>): KernelFailure {
  const at = `${f.pf}: writing ${f.count} to sriov_numvfs failed (${errno})`;
  switch (errno) {
    case 'ERANGE':
      return {
        code: 'OUT_OF_RANGE',
        message: `${at}: over the driver's limit of ${f.totalVfs} VFs (sriov_totalvfs)`,
      };
    case 'EINVAL':
      return { code: 'OUT_OF_RANGE', message: `${at}: not a VF count the kernel accepts` };
    case 'ENOENT':
      return {
        code: 'UNSUPPORTED',
        message: `${at}: this driver cannot do SR-IOV (no driver bound, or one without sriov_configure: mainline i915 has none; use the SR-IOV i915 module or xe)`,
      };
    case 'ENODEV':
      return {
        code: 'UNSUPPORTED',
        message: `${at}: the driver runs this GPU natively, not as an SR-IOV PF (i915.max_vfs=0, or its PF setup failed)`,
      };
    case 'EBUSY':
      return { code: 'BUSY', message: `${at}: VFs already enabled, or the PF driver is still starting` };
    case 'EPERM':
      return { code: 'IN_USE', message: `${at}: VFs are still assigned to a guest` };
    case 'ENOMEM':
      return {
        code: 'KERNEL',
        message: `${at}: no room for the VFs' memory windows (firmware did not assign the VF BARs; see dmesg)`,
      };
    case 'EUCLEAN':
      return {
        code: 'BUSY',
        message: `${at}: auto-provisioning needs the VFs' configurations empty; clear them or provision every VF`,
      };
    default:
      return { code: 'KERNEL', message: `${at}; dmesg says why` };
  }
}

function binding(errno: string, what: string): KernelFailure {
  switch (errno) {
    case 'ENODEV':
      return {
        code: 'BAD_TARGET',
        message: `${what} (ENODEV): the device or its driver is gone, or it is not bound there`,
      };
    case 'EBUSY':
      return {
        code: 'BUSY',
        message: `${what} (EBUSY): the device is busy (a PF with VFs enabled, or already bound)`,
      };
    case 'EINVAL':
      return {
        code: 'KERNEL',
        message: `${what} (EINVAL): the driver refused the device (vfio-pci needs an IOMMU group)`,
      };
    default:
      return { code: 'KERNEL', message: `${what} (${errno}); dmesg says why` };
  }
}

function provisioning(errno: string, f: Extract<WrittenFile, { kind: 'provisioning' }>): KernelFailure {
  const at = `${f.device}: ${f.attribute} = ${f.value} refused (${errno})`;
  switch (errno) {
    case 'EDQUOT':
      return { code: 'OUT_OF_RANGE', message: `${at}: more than the GPU has free for it (see available/)` };
    case 'E2BIG':
      return { code: 'OUT_OF_RANGE', message: `${at}: more than the GPU has in total` };
    case 'ERANGE':
    case 'EOVERFLOW':
      return { code: 'OUT_OF_RANGE', message: `${at}: the number is too big for this attribute` };
    case 'EINVAL':
      return { code: 'OUT_OF_RANGE', message: `${at}: not a value this attribute takes` };
    case 'ENODEV':
      return { code: 'UNSUPPORTED', message: `${at}: this GT does not own that resource (media GT)` };
    case 'ESTALE':
      return { code: 'BUSY', message: `${at}: VF configurations are not empty` };
    case 'EIO':
      return {
        code: 'BUSY',
        message: `${at}: the GPU's policies forbid it now (sched_if_idle) or the GuC did not answer`,
      };
    case 'EACCES':
    case 'EPERM':
      return { code: 'UNSUPPORTED', message: `${at}: the driver offers it read-only` };
    default:
      return { code: 'KERNEL', message: `${at}; dmesg says why` };
  }
}

export function describeKernelError(errno: string, file: WrittenFile): KernelFailure {
  switch (file.kind) {
    case 'sriov_numvfs':
      return numvfs(errno, file);
    case 'autoprobe':
      return { code: 'KERNEL', message: `${file.pf}: writing sriov_drivers_autoprobe failed (${errno})` };
    case 'driver_override':
      return { code: 'KERNEL', message: `${file.device}: writing driver_override failed (${errno})` };
    case 'unbind':
      return binding(errno, `${file.device}: unbinding from ${file.driver} failed`);
    case 'drivers_probe':
      return binding(errno, `${file.device}: probing a driver failed`);
    case 'provisioning':
      return provisioning(errno, file);
    case 'mdev_create':
      if (errno === 'EEXIST')
        return { code: 'BUSY', message: `a vGPU ${file.uuid} exists already (EEXIST): pick another UUID` };
      if (errno === 'ENOSPC')
        return {
          code: 'OUT_OF_RANGE',
          message: `no room for another ${file.type} vGPU (ENOSPC): remove one first`,
        };
      if (errno === 'EINVAL')
        return { code: 'BAD_TARGET', message: `${file.uuid} is not a UUID the kernel takes (EINVAL)` };
      return { code: 'KERNEL', message: `creating a ${file.type} vGPU failed (${errno}); dmesg says why` };
    case 'mdev_remove':
      if (errno === 'EAGAIN' || errno === 'EBUSY')
        return { code: 'IN_USE', message: `vGPU ${file.uuid} is in use (${errno}): stop its VM first` };
      return { code: 'KERNEL', message: `removing vGPU ${file.uuid} failed (${errno})` };
    case 'vfio_node':
    case 'usb_node':
      return { code: 'KERNEL', message: `giving ${file.node} to the user failed (${errno})` };
  }
}
