import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnreadableFile, describeJsonError, readStateFile, readStateFileSync } from './state-file';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-statefile-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const reasonOf = async (file: string, options?: Parameters<typeof readStateFile>[1]) => {
  const error = await readStateFile(file, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnreadableFile);
  return error as UnreadableFile;
};

describe('readStateFile', () => {
  it('reads a regular file, and follows a link to one only when asked', async () => {
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, '{"a":1}');
    expect(await readStateFile(file)).toBe('{"a":1}');
    const link = path.join(dir, 'b.json');
    fs.symlinkSync(file, link);
    expect(await readStateFile(link, { followLinks: true })).toBe('{"a":1}');
    expect((await reasonOf(link)).reason).toBe('it is a symbolic link, not a regular file');
    expect(() => readStateFileSync(link)).toThrow(/symbolic link/);
    expect(readStateFileSync(file)).toBe('{"a":1}');
  });

  it('says a missing file is missing', async () => {
    const error = await reasonOf(path.join(dir, 'none.json'));
    expect(error.missing).toBe(true);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect((await reasonOf(fifo)).reason).toBe('it is a FIFO (named pipe), not a regular file');
    expect((await reasonOf(fifo, { followLinks: true })).reason).toMatch(/FIFO/);
    expect(() => readStateFileSync(fifo)).toThrow(/FIFO/);
  });

  it('refuses a link to /dev/zero without reading from it', async () => {
    const link = path.join(dir, 'zero.json');
    fs.symlinkSync('/dev/zero', link);
    expect((await reasonOf(link, { followLinks: true })).reason).toBe(
      'it is a character device, not a regular file',
    );
  });

  it('refuses a file above the limit, saying its size', async () => {
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, 'x'.repeat(2000));
    expect((await reasonOf(file, { maxBytes: 1000 })).reason).toBe(
      'it is 2000 bytes, more than the 1000 a Tessera file can be',
    );
    expect(await readStateFile(file, { maxBytes: 2000 })).toHaveLength(2000);
  });
});

describe('describeJsonError', () => {
  const errorOf = (text: string) => {
    try {
      JSON.parse(text);
    } catch (error) {
      return describeJsonError(error);
    }
    throw new Error('parsed');
  };
  it('never quotes the text, whatever V8 says', () => {
    const shadow = 'root:*:20210:0:99999:7:::\ndaemon:*:20210';
    expect(errorOf(shadow)).toMatch(/^not valid JSON/);
    expect(errorOf(shadow)).not.toMatch(/root|daemon|20210/);
    expect(errorOf('{"a":')).toBe('not valid JSON (it ends early)');
    expect(errorOf('{"a": 1,\n x}')).toMatch(/^not valid JSON \((line 2, column \d+|at byte \d+)\)$/);
  });
});
