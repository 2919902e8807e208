import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vmRuntimeFiles } from '../paths';
import { visitLeftRuns, type LeftRun } from './left-runs';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-left-runs-'));
  fs.chmodSync(dir, 0o700);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function visited(): Promise<LeftRun[]> {
  const runs: LeftRun[] = [];
  await visitLeftRuns(dir, (run) => void runs.push(run));
  return runs;
}

describe('visitLeftRuns', () => {
  it('a pidfile whose process is not its QEMU is a crash: log tail kept, pidfile removed', async () => {
    const files = vmRuntimeFiles(dir, 'alpha');
    fs.mkdirSync(files.dir, { mode: 0o700 });
    // This test's own pid: alive, but not a QEMU that names this pidfile.
    fs.writeFileSync(files.pid, `${process.pid}\n`);
    fs.writeFileSync(files.log, 'one\ntwo\n');
    expect(await visited()).toEqual([
      {
        id: 'alpha',
        crashed: { message: 'QEMU ended while no Tessera backend was watching it', logTail: ['one', 'two'] },
      },
    ]);
    expect(fs.existsSync(files.pid)).toBe(false);
  });

  it('passes over dirs without a pidfile and links Tessera did not make', async () => {
    fs.mkdirSync(vmRuntimeFiles(dir, 'quiet').dir, { mode: 0o700 });
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-left-runs-planted-'));
    try {
      fs.writeFileSync(path.join(elsewhere, 'qemu.pid'), `${process.pid}\n`);
      fs.symlinkSync(elsewhere, path.join(dir, 'planted'));
      expect(await visited()).toEqual([]);
      expect(fs.existsSync(path.join(elsewhere, 'qemu.pid'))).toBe(true);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
