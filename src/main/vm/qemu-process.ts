import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileTail } from '../fsutil/file-tail';
import { readStateFile } from '../fsutil/state-file';

/** Is a process alive and still the QEMU that wrote this pidfile? (Its path appears unescaped in the argv.) */
export async function isQemuFor(pid: number, pidFilePath: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    // EPERM means it exists but is someone else's: not ours to attach to.
    return false;
  }
  try {
    const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').includes(pidFilePath);
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Zombies answer kill(0) but are gone; /proc/<pid>/stat says 'Z'. */
export async function isGone(pid: number): Promise<boolean> {
  if (!isAlive(pid)) return true;
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

export async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readStateFile(file)).trim(), 10);
    return Number.isSafeInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start QEMU in its own session so it outlives the backend (DESIGN.md: VMs outlive every
 * front); its stdout and stderr go to the VM's log file, never to a pipe that would break
 * when we exit.
 */
export function spawnDetachedQemu(binary: string, argv: string[], logFile: string): ChildProcess {
  const fd = fs.openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(binary, argv, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `lines` lines of a file (QEMU's log), read from at most its last `maxBytes`. */
export async function tailFile(file: string, lines: number, maxBytes = 256 * 1024): Promise<string[]> {
  const all = (await readFileTail(file, maxBytes)).data.toString('utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines);
}
