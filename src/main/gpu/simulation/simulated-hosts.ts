import fs from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../../../shared/errors';
import { SIMULATION_MARKER_FILE, SimulationMarker } from '../../../shared/simulated-host';
import type { SimulatedHostDescription } from './host-description';
import { SIMULATED_HOSTS } from './host-descriptions';
import { buildHostTree, SIMULATION_BUILDER_VERSION } from './host-tree-builder';
import { readStateFileSync } from '../../fsutil/state-file';

/** The description named `name` or one of its aliases (`adl-p`). */
export function findSimulatedHost(name: string): SimulatedHostDescription {
  const found = SIMULATED_HOSTS.find((h) => h.name === name || h.aliases.includes(name));
  if (!found) {
    const names = SIMULATED_HOSTS.map((h) => [h.name, ...h.aliases].join(' or ')).join(', ');
    throw new TesseraError('BAD_INPUT', `there is no simulated host '${name}': pick one of ${names}`);
  }
  return found;
}

/** The marker of a simulated tree, or null for any other root (a real host, a copy, a hand-made tree). */
export function readSimulationMarker(rootDir: string): SimulationMarker | null {
  try {
    const parsed = SimulationMarker.safeParse(
      JSON.parse(readStateFileSync(path.join(rootDir, SIMULATION_MARKER_FILE))),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The tree of simulated host `name` under `baseDir` (`$XDG_DATA_HOME/tessera/simulated`), built
 * the first time and kept afterwards, so that changes made to it (VFs created later) survive
 * restarts. A tree from an older builder is rebuilt. Building happens in a temporary directory that
 * is renamed into place, so two processes starting at once never see half a tree.
 */
export function ensureSimulatedHost(
  baseDir: string,
  name: string,
): { dir: string; host: SimulatedHostDescription } {
  const host = findSimulatedHost(name);
  const dir = path.join(baseDir, host.name);
  if (readSimulationMarker(dir)?.builderVersion === SIMULATION_BUILDER_VERSION) return { dir, host };
  fs.mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const staging = fs.mkdtempSync(path.join(baseDir, `.${host.name}-`));
  try {
    buildHostTree(host, staging);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    // Another process may have put a complete tree in place first; that one is as good.
    if (readSimulationMarker(dir)?.builderVersion === SIMULATION_BUILDER_VERSION) return { dir, host };
    throw error;
  }
  return { dir, host };
}
