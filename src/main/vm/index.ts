// The vm domain as other domains and the composition root see it (docs/layering.md).
export { VmService, type KioskRun, type VmHost } from './vm-service';
export { signOfLifeMs } from './sign-of-life';
export { VmStore } from './vm-store';
export { createDisk } from './disk-create';
export { helperGpuLeases, leaseSteps, type SlicePlacement } from './gpu-leases';
export type { GpuPlacement } from './gpu-placement';
export type { QemuHost } from './qemu-args';
export { graphicsArgs } from './qemu-args-graphics';
export { swtpmArgs } from './swtpm';
export { usbHolders } from './usb-attachments';
