import { z } from 'zod';

/**
 * A host tree built by Tessera's simulation carries this file at its top, so whatever reads the
 * tree (a backend started with --host-root or --simulate) labels everything from it as simulated.
 */
export const SIMULATION_MARKER_FILE = '.tessera-simulated.json';

export const SimulationMarker = z.object({
  name: z.string(),
  title: z.string(),
  builderVersion: z.int(),
});
export type SimulationMarker = z.infer<typeof SimulationMarker>;
