// The gpu domain as other domains and the composition root see it (docs/layering.md).
export { createGpuService, type GpuService } from './gpu-service';
export { ChangeLog } from './change-log';
export { createHelperClient, type HelperClient } from './helper-client';
export { LayoutStore } from './layout-store';
export { ensureSimulatedHost, findSimulatedHost, readSimulationMarker } from './simulation/simulated-hosts';
