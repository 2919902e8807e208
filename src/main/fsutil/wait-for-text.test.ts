import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitForTextInFile } from './wait-for-text';
import { rejection } from '../../../tests/support/rejection';

let dir: string;
let file: string;
let timers: NodeJS.Timeout[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-serial-'));
  file = path.join(dir, 'serial.log');
  timers = [];
});
afterEach(() => {
  for (const t of timers) clearTimeout(t);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Append to the log later, as QEMU would while the guest boots. */
function appendLater(ms: number, text: string): void {
  timers.push(setTimeout(() => fs.appendFileSync(file, text), ms));
}

/** Runs `step` the first time the waiter has read everything and found nothing: no race with its reads. */
function onFirstMiss(step: () => void): () => boolean {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      step();
    }
    return true;
  };
}

// Generous timeouts: they only guard against a hang, nothing is measured.
const LONG = 10_000;

describe('waitForTextInFile', () => {
  it('resolves at once when the text is already there', async () => {
    fs.writeFileSync(file, 'SeaBIOS\nWelcome to Alpine\nlogin: ');
    const result = await waitForTextInFile(file, 'login:', { timeoutMs: LONG });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('finds text written later', async () => {
    fs.writeFileSync(file, 'SeaBIOS (version 1.16.2)\n');
    appendLater(20, 'Booting from ROM...\n');
    appendLater(60, 'Welcome to Alpine Linux 3.20\nlocalhost login: ');
    await expect(waitForTextInFile(file, 'localhost login:', { timeoutMs: LONG })).resolves.toEqual({
      elapsedMs: expect.any(Number) as number,
    });
  });

  it('finds text whose bytes QEMU logged more than once (a console client slow to read)', async () => {
    // Seen in a run's serial.log under load: `echo TSRE-cf17291d-7` logged as below.
    fs.writeFileSync(file, 'TSRE-cf172911d-7\r\nTTESSSERA-GUUEST-READY\r\n');
    await expect(waitForTextInFile(file, 'TSRE-cf17291d-7', { timeoutMs: LONG })).resolves.toBeDefined();
    await expect(waitForTextInFile(file, 'TESSERA-GUEST-READY', { timeoutMs: LONG })).resolves.toBeDefined();
    const error = await rejection(waitForTextInFile(file, 'TESSERA-GUEST-GONE', { timeoutMs: 150 }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('finds text split across two appends', async () => {
    fs.writeFileSync(file, 'Welcome to Alpine\nlocalhost lo');
    // The first read sees "lo"; the rest arrives only after that read.
    const isAlive = onFirstMiss(() => fs.appendFileSync(file, 'gin: '));
    await expect(
      waitForTextInFile(file, 'localhost login:', { timeoutMs: LONG, isAlive }),
    ).resolves.toBeDefined();
  });

  it('finds multi-byte text split inside a character', async () => {
    const text = Buffer.from('prêt ✓', 'utf8');
    const cut = text.length - 2; // inside the three bytes of ✓
    fs.writeFileSync(file, Buffer.concat([Buffer.from('boot\n'), text.subarray(0, cut)]));
    const isAlive = onFirstMiss(() => fs.appendFileSync(file, text.subarray(cut)));
    await expect(waitForTextInFile(file, 'prêt ✓', { timeoutMs: LONG, isAlive })).resolves.toBeDefined();
  });

  it('times out with TIMEOUT and names the text', async () => {
    fs.writeFileSync(file, 'Kernel panic - not syncing\n');
    const error = await rejection(waitForTextInFile(file, 'login:', { timeoutMs: 150 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('"login:"');
  });

  it('rejects with INVALID_STATE when the VM stops', async () => {
    fs.writeFileSync(file, 'Booting...\n');
    let calls = 0;
    const isAlive = () => ++calls < 3;
    const error = await rejection(waitForTextInFile(file, 'login:', { timeoutMs: LONG, isAlive }));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('"login:"');
    expect(calls).toBe(3);
  });

  it('ignores text before fromOffset', async () => {
    fs.writeFileSync(file, 'old run\nlogin: \n');
    const fromOffset = fs.statSync(file).size;
    const error = await rejection(waitForTextInFile(file, 'login:', { timeoutMs: 150, fromOffset }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('finds text after fromOffset', async () => {
    fs.writeFileSync(file, 'old run\nlogin: \n');
    const fromOffset = fs.statSync(file).size;
    appendLater(30, 'new run\nlogin: ');
    await expect(waitForTextInFile(file, 'login:', { timeoutMs: LONG, fromOffset })).resolves.toBeDefined();
  });

  it('waits for a file that does not exist yet', async () => {
    expect(fs.existsSync(file)).toBe(false);
    appendLater(40, 'Welcome\nlogin: ');
    await expect(waitForTextInFile(file, 'login:', { timeoutMs: LONG })).resolves.toBeDefined();
  });

  it('times out on a file that never appears', async () => {
    const error = await rejection(waitForTextInFile(file, 'login:', { timeoutMs: 150 }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('reads a truncated log from its start', async () => {
    fs.writeFileSync(file, 'a long first run '.repeat(100));
    const fromOffset = fs.statSync(file).size;
    // A new run truncates the log and writes a shorter one.
    const isAlive = onFirstMiss(() => fs.writeFileSync(file, 'login: '));
    await expect(
      waitForTextInFile(file, 'login:', { timeoutMs: LONG, fromOffset, isAlive }),
    ).resolves.toBeDefined();
  });

  it('does not join the end of a truncated log to the start of the new one', async () => {
    // The old run ends with "log"; the new run's log starts with "in:". Neither holds "login:".
    fs.writeFileSync(file, 'first run\nlog');
    const isAlive = onFirstMiss(() => fs.writeFileSync(file, 'in:'));
    const error = await rejection(waitForTextInFile(file, 'login:', { timeoutMs: 300, isAlive }));
    expect(error.code).toBe('TIMEOUT');
  });
});
