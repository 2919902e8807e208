// The host domain as other domains and the composition root see it (docs/layering.md).
export { createHostService, type HostOptions, type HostRootChoice, type HostService } from './host-service';
export { pathInfo } from './path-info';
