import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const NAME_PATTERN = /^[0-9a-f]{32}$/;
const RETRY_MS = 25;

export interface ProcessLockOptions {
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  /** The error thrown when `waitMs` passes. */
  timeout: () => Error;
}

/**
 * Runs `fn` while holding a lock shared by every process of this user (backends, CLIs, and several
 * backends in one process), which the kernel releases when its holder ends, however it ends.
 *
 * The lock is a listening unix socket in Linux's abstract namespace (unix(7), "Abstract sockets"):
 * bind() of a name already bound fails with EADDRINUSE, and the name vanishes with the socket. A
 * lock *file* (exclusive create, holder's pid inside) cannot do this: a second process can read it
 * between the create and the write of the pid and take it for stale, and two processes that see a
 * dead holder at once both take over — both were seen as two backends leasing the same VF under load.
 *
 * Abstract names are visible to every user, so the name is a random secret kept in `nameFile`, in
 * the user's own 0700 runtime dir: another user can neither find the lock nor hold it to block us.
 */
export async function withProcessLock<T>(
  nameFile: string,
  options: ProcessLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const address = `\0tessera-lock-${await lockName(nameFile)}`;
  const deadline = Date.now() + options.waitMs;
  let server: net.Server;
  for (;;) {
    try {
      server = await listen(address);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (Date.now() > deadline) throw options.timeout();
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function listen(address: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Nobody has business connecting: the name is only held.
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      // A process that only waits on the lock's holder must still be able to exit.
      server.unref();
      resolve(server);
    });
  });
}

/** The secret in `nameFile`, made once; written whole (link of a finished temp file) so no reader sees it torn. */
async function lockName(nameFile: string): Promise<string> {
  const read = async () => (await fs.readFile(nameFile, 'utf8')).trim();
  let name: string;
  try {
    name = await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await fs.mkdir(path.dirname(nameFile), { recursive: true, mode: 0o700 });
    const temp = `${nameFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, randomBytes(16).toString('hex'), { flag: 'wx', mode: 0o600 });
    try {
      await fs.link(temp, nameFile);
    } catch (linkError) {
      // Another process made it first: its name is the one everybody uses.
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
    } finally {
      await fs.rm(temp, { force: true });
    }
    name = await read();
  }
  if (!NAME_PATTERN.test(name))
    throw new Error(
      `${nameFile} is not a lock name Tessera wrote: remove it (no Tessera may be starting a VM then)`,
    );
  return name;
}
