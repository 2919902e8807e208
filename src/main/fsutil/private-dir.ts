import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';

/** What `lstat` says of a dir that matters here; a pure check can be fed one without a file system. */
export interface DirFacts {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

export function dirFacts(stat: fs.Stats): DirFacts {
  return {
    isDirectory: stat.isDirectory(),
    isSymbolicLink: stat.isSymbolicLink(),
    uid: stat.uid,
    mode: stat.mode,
  };
}

/** This process's uid; a platform without uids (none Tessera runs on) counts as root. */
export function ownUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/**
 * Why a dir that holds our sockets is not safe to use, or undefined when it is: a real dir (not a
 * symlink), owned by us, readable, writable and searchable by us only (0700). Another user who can
 * write in it could bind a fake socket there, or swap an entry for a link to somewhere we would
 * then chmod or fill.
 */
export function privateDirProblem(facts: DirFacts, uid: number): string | undefined {
  if (facts.isSymbolicLink) return 'it is a symbolic link, not a directory';
  if (!facts.isDirectory) return 'it is not a directory';
  if (facts.uid !== uid) return `it belongs to uid ${facts.uid}, not to this user (uid ${uid})`;
  const mode = facts.mode & 0o7777;
  if (mode !== 0o700) return `its mode is ${mode.toString(8).padStart(4, '0')}, not 0700`;
  return undefined;
}

/** The dir Tessera makes itself when there is no `XDG_RUNTIME_DIR` (paths.ts). */
export function fallbackRuntimeBase(uid: number = ownUid()): string {
  return path.join(os.tmpdir(), `tessera-runtime-${uid}`);
}

/**
 * The dirs of a runtime path that Tessera makes and so must check, outermost first: the dir
 * itself, and the `/tmp` fallback above it when that is where it lives. `$XDG_RUNTIME_DIR` is
 * made by the login manager (0700, ours: the XDG Base Directory spec) and is not ours to judge.
 */
export function dirsToCheck(dir: string, uid: number = ownUid()): string[] {
  const parent = path.dirname(dir);
  return parent === fallbackRuntimeBase(uid) ? [parent, dir] : [dir];
}

/** A runtime dir or socket that is not ours: never fallen back from, always shown to the user. */
export class UnsafeRuntimeDir extends TesseraError {
  constructor(where: string, problem: string) {
    super(
      'UNAVAILABLE',
      `refusing to use ${where}: ${problem}. Another user may have made it to intercept Tessera's sockets; ` +
        'set XDG_RUNTIME_DIR to a dir of your own (mode 0700), or remove this one if it is yours',
    );
    this.name = 'UnsafeRuntimeDir';
  }
}

function refusal(where: string, problem: string): UnsafeRuntimeDir {
  return new UnsafeRuntimeDir(where, problem);
}

async function check(dir: string, uid: number): Promise<'missing' | 'ok'> {
  let stat: fs.Stats;
  try {
    stat = await fsp.lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw refusal(dir, `cannot look at it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const problem = privateDirProblem(dirFacts(stat), uid);
  if (problem) throw refusal(dir, problem);
  return 'ok';
}

/**
 * Check a runtime dir (and the fallback above it) before using what is in it; nothing is made.
 * Returns false when it does not exist (so nothing to connect to), throws when it is unsafe.
 * Called at every open, not only at start: the dir may have been replaced since.
 */
export async function checkRuntimeDir(dir: string): Promise<boolean> {
  const uid = ownUid();
  for (const d of dirsToCheck(dir, uid)) if ((await check(d, uid)) === 'missing') return false;
  return true;
}

/**
 * Make a runtime dir (and the fallback above it) if missing, then check it. Each level is made
 * with a non-recursive mkdir, so an existing entry (someone else's dir, a symlink) is never
 * taken over silently: it is then lstat'ed like any other.
 */
export async function ensureRuntimeDir(dir: string): Promise<void> {
  const uid = ownUid();
  const levels = dirsToCheck(dir, uid);
  // Above the levels Tessera makes is $XDG_RUNTIME_DIR (or /tmp): not ours to judge, made if a test asks for a new one.
  await fsp.mkdir(path.dirname(levels[0] as string), { recursive: true, mode: 0o700 });
  for (const d of levels) {
    try {
      await fsp.mkdir(d, { mode: 0o700 });
      // The umask may have taken bits off, never added them; 0700 is asked for exactly.
      await fsp.chmod(d, 0o700);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await check(d, uid);
  }
}

/** A VM's own runtime dir (`<runtimeDir>/<vm>`): made if missing, and checked, with the levels above it. */
export async function ensureVmRuntimeDir(vmDir: string): Promise<void> {
  await ensureRuntimeDir(path.dirname(vmDir));
  await ensureRuntimeDir(vmDir);
}

/**
 * Check a VM's runtime dir and the levels above it right before connecting to one of its
 * sockets. Throws when a level is unsafe or missing: a socket of a VM we believe runs is expected.
 */
export async function checkVmRuntimeDir(vmDir: string): Promise<void> {
  if (!(await checkRuntimeDir(path.dirname(vmDir))) || !(await checkRuntimeDir(vmDir)))
    throw new TesseraError('UNAVAILABLE', `the runtime dir ${vmDir} is gone`);
}

async function isOwnSocket(socketPath: string): Promise<boolean> {
  let stat: fs.Stats;
  try {
    stat = await fsp.lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const uid = ownUid();
  if (!stat.isSocket()) throw refusal(socketPath, 'it is not a socket');
  if (stat.uid !== uid)
    throw refusal(socketPath, `it belongs to uid ${stat.uid}, not to this user (uid ${uid})`);
  return true;
}

/**
 * Before connecting to the control socket (`<runtimeDir>/.control.sock`): its dirs are checked as
 * above and the file must be a socket of ours. False when there is nothing to connect to.
 */
export async function checkControlSocket(socketPath: string): Promise<boolean> {
  return (await checkRuntimeDir(path.dirname(socketPath))) && isOwnSocket(socketPath);
}

/** Before connecting to one of a running VM's sockets (`<runtimeDir>/<vm>/qmp.sock`, …): throws unless all is ours. */
export async function checkVmSocket(socketPath: string): Promise<void> {
  await checkVmRuntimeDir(path.dirname(socketPath));
  if (!(await isOwnSocket(socketPath)))
    throw new TesseraError('UNAVAILABLE', `${socketPath} does not exist (yet)`);
}
