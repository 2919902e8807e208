import fs from 'node:fs';
import fsp from 'node:fs/promises';

/** Definitions, settings, layouts, leases are a few KiB; anything this big is not one of ours. */
export const STATE_FILE_MAX_BYTES = 1024 * 1024;

export interface StateFileOptions {
  /** Refuse more than this many bytes (default STATE_FILE_MAX_BYTES). */
  maxBytes?: number;
  /**
   * Follow a symlink to a regular file (the user's own config may be links into a dotfiles
   * repo). Off for files Tessera alone writes (runtime state): a link there was planted.
   */
  followLinks?: boolean;
}

/** Why a state file was not read, in words that name what is wrong and never what is in it. */
export class UnreadableFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    /** The file does not exist: for most callers, the defaults. */
    readonly missing = false,
  ) {
    super(`cannot read ${file}: ${reason}`);
    this.name = 'UnreadableFile';
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Why a file with these facts is not read, or undefined when it is a regular file of a sane size. */
export function stateFileProblem(stat: fs.Stats, maxBytes: number): string | undefined {
  if (!stat.isFile()) return `it is ${kindOf(stat)}, not a regular file`;
  if (stat.size > maxBytes)
    return `it is ${stat.size} bytes, more than the ${maxBytes} a Tessera file can be`;
  return undefined;
}

function openFlags(followLinks: boolean): number {
  // O_NONBLOCK: a FIFO (planted or left over) opens at once instead of waiting for a writer, and
  // the fstat below refuses it; O_NOFOLLOW: a symlink fails with ELOOP instead of being read.
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
  return O_RDONLY | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW);
}

function reasonOf(error: unknown, followLinks: boolean): { reason: string; missing: boolean } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { reason: 'it does not exist', missing: true };
  if (code === 'ELOOP' && !followLinks)
    return { reason: 'it is a symbolic link, not a regular file', missing: false };
  return { reason: `it cannot be opened (${code ?? String(error)})`, missing: false };
}

/**
 * Read a state file only if it is a regular file below the size limit; otherwise an
 * UnreadableFile naming the file and why. The checks are made on the open descriptor (fstat),
 * so what is checked is what is read; the path is lstat'ed/stat'ed first so a device is never
 * even opened (opening some devices does something).
 */
export async function readStateFile(file: string, options: StateFileOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? STATE_FILE_MAX_BYTES;
  const followLinks = options.followLinks ?? false;
  let handle: fsp.FileHandle;
  try {
    const before = followLinks ? await fsp.stat(file) : await fsp.lstat(file);
    const problem = stateFileProblem(before, maxBytes);
    if (problem) throw new UnreadableFile(file, problem);
    handle = await fsp.open(file, openFlags(followLinks));
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    const { reason, missing } = reasonOf(error, followLinks);
    throw new UnreadableFile(file, reason, missing);
  }
  try {
    const problem = stateFileProblem(await handle.stat(), maxBytes);
    if (problem) throw new UnreadableFile(file, problem);
    // A regular file of this size (fstat'ed on this very descriptor) is read to its end.
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** readStateFile for the few callers that must stay synchronous (lease lookups in a getter). */
export function readStateFileSync(file: string, options: StateFileOptions = {}): string {
  const maxBytes = options.maxBytes ?? STATE_FILE_MAX_BYTES;
  const followLinks = options.followLinks ?? false;
  let fd: number;
  try {
    const before = followLinks ? fs.statSync(file) : fs.lstatSync(file);
    const problem = stateFileProblem(before, maxBytes);
    if (problem) throw new UnreadableFile(file, problem);
    fd = fs.openSync(file, openFlags(followLinks));
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    const { reason, missing } = reasonOf(error, followLinks);
    throw new UnreadableFile(file, reason, missing);
  }
  try {
    const problem = stateFileProblem(fs.fstatSync(fd), maxBytes);
    if (problem) throw new UnreadableFile(file, problem);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What is wrong with text that is not JSON, without quoting it: V8's messages quote the text
 * (`Unexpected token 'r', "root:*:202"... is not valid JSON`), and the file may be a link to a
 * secret. Keeps the position when V8 gives one.
 */
export function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unexpected end of JSON input/.test(message)) return 'not valid JSON (it ends early)';
  const at = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  if (at?.[2] !== undefined) return `not valid JSON (line ${at[2]}, column ${at[3]})`;
  if (at) return `not valid JSON (at byte ${at[1]})`;
  return 'not valid JSON';
}
