import fs from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../shared/errors';
import { createHostRoot } from './fsutil/host-root';
import { ensureSimulatedHost, readSimulationMarker } from './gpu';
import type { HostRootChoice } from './host';

export interface HostRootOptions {
  /** A directory holding sys/, proc/ and dev/ of the host to read; `/` (this machine) by default. */
  hostRoot?: string;
  /** A simulated host by name (`adl-p`), built under `<dataDir>/simulated/` the first time. */
  simulate?: string;
}

/**
 * Which host the backend reads: a simulated one, the directory given (option, then
 * TESSERA_HOST_ROOT), or `/`. A directory that Tessera's simulation built says so in its marker
 * file, so it is labelled simulated however it was named.
 */
export function chooseHostRoot(
  options: HostRootOptions,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): HostRootChoice {
  if (options.simulate !== undefined) {
    if (options.hostRoot !== undefined) {
      throw new TesseraError('BAD_INPUT', '--simulate and --host-root both name a host: use one of them');
    }
    const { dir, host } = ensureSimulatedHost(path.join(dataDir, 'simulated'), options.simulate);
    return {
      root: createHostRoot(dir),
      identity: { root: dir, simulated: { name: host.name, title: host.title } },
    };
  }
  const given = options.hostRoot ?? (env.TESSERA_HOST_ROOT || '/');
  const dir = path.resolve(given);
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) {
    throw new TesseraError(
      'BAD_INPUT',
      `host root ${given} is not a directory: it should hold the host's sys/, proc/ and dev/`,
    );
  }
  const marker = dir === '/' ? null : readSimulationMarker(dir);
  return {
    root: createHostRoot(dir),
    identity: { root: dir, simulated: marker ? { name: marker.name, title: marker.title } : null },
  };
}
