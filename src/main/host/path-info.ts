import fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import type { CallOutput } from '../../shared/contract';
import { TesseraError } from '../../shared/errors';

export type PathInfo = CallOutput<'fs.stat'>;

async function can(file: string, mode: number): Promise<boolean> {
  try {
    await fsp.access(file, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a typed path names, for the browser front (it has no file dialog): whether it exists, what
 * it is, and whether this user may read and write it. Symlinks are followed, as QEMU would.
 */
export async function pathInfo(file: string): Promise<PathInfo> {
  if (!path.isAbsolute(file)) {
    throw new TesseraError('BAD_INPUT', `give a full path, starting with / (got "${file}")`);
  }
  const normalized = path.normalize(file);
  let stat;
  try {
    stat = await fsp.stat(normalized);
  } catch {
    // Missing, or behind a folder this user cannot enter: either way nothing usable is there.
    return { path: normalized, exists: false, readable: false, writable: false };
  }
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  return {
    path: normalized,
    exists: true,
    kind,
    readable: await can(normalized, constants.R_OK),
    writable: await can(normalized, constants.W_OK),
    ...(kind === 'file' ? { sizeBytes: stat.size } : {}),
  };
}
