import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withProcessLock } from './process-lock';

let dir: string;
let nameFile: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-lock-'));
  nameFile = path.join(dir, '.lock-name');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = (waitMs = 20_000) => ({ waitMs, timeout: () => new Error('timed out') });
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Another process holding the lock named in `nameFile` until it is killed. */
async function holderProcess(): Promise<{ kill(): Promise<void> }> {
  await withProcessLock(nameFile, options(), async () => undefined); // makes the name
  const name = fs.readFileSync(nameFile, 'utf8').trim();
  const child = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen('\\0tessera-lock-${name}', () => console.log('held'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return {
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

describe('withProcessLock', () => {
  it('lets one holder in at a time, in one process too', async () => {
    let done = 0;
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withProcessLock(nameFile, options(), async () => {
          inside += 1;
          most = Math.max(most, inside);
          await tick(5);
          inside -= 1;
          done += 1;
        }),
      ),
    );
    expect(done).toBe(6);
    expect(most).toBe(1);
  });

  it('waits for a holder in another process, and gets the lock once that process is killed', async () => {
    const holder = await holderProcess();
    let ran = false;
    const waiting = withProcessLock(nameFile, options(), async () => {
      ran = true;
    });
    await tick(200);
    expect(ran).toBe(false);
    // kill -9: no clean-up runs in the holder, and nothing is left to take over.
    await holder.kill();
    await waiting;
    expect(ran).toBe(true);
  });

  it('gives up with the caller’s error when the holder keeps it', async () => {
    const holder = await holderProcess();
    try {
      await expect(withProcessLock(nameFile, options(100), async () => 'never')).rejects.toThrow('timed out');
    } finally {
      await holder.kill();
    }
  });

  it('returns what the function returns and releases the lock when it throws', async () => {
    await expect(
      withProcessLock(nameFile, options(), async () => {
        throw new Error('inner');
      }),
    ).rejects.toThrow('inner');
    await expect(withProcessLock(nameFile, options(100), async () => 42)).resolves.toBe(42);
  });

  it('keeps its name secret from other users and refuses a name file it did not write', async () => {
    await withProcessLock(nameFile, options(), async () => undefined);
    expect(fs.statSync(nameFile).mode & 0o777).toBe(0o600);
    fs.writeFileSync(nameFile, 'not a name');
    await expect(withProcessLock(nameFile, options(), async () => undefined)).rejects.toThrow(
      /is not a lock name Tessera wrote: remove it/,
    );
  });
});
