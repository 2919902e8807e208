// The host domain as other domains and the composition root see it (docs/layering.md).
export { createHostService, type HostOptions, type HostRootChoice, type HostService } from './host-service';
export { pathInfo } from './path-info';
// What Debian 12's QEMU 7.2 can do: `vm args` shows what that QEMU would run on a machine without one.
export { default as DEBIAN_12_QEMU_CAPABILITIES } from './debian-12-qemu-capabilities.json';
