import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('writeFileAtomic', () => {
  it('writes a new file, creating missing folders', async () => {
    const file = path.join(dir, 'a', 'b', 'settings.json');
    await writeFileAtomic(file, '{"x": 1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x": 1}\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
  });

  it('replaces the content whole: a shorter write leaves no tail of the longer one', async () => {
    const file = path.join(dir, 'data.txt');
    await writeFileAtomic(file, 'x'.repeat(100_000));
    await writeFileAtomic(file, 'short');
    expect(fs.readFileSync(file, 'utf8')).toBe('short');
    await writeFileAtomic(file, 'héllo wörld');
    expect(fs.readFileSync(file, 'utf8')).toBe('héllo wörld');
    expect(fs.readdirSync(dir)).toEqual(['data.txt']);
  });

  it('applies 0600 by default and the mode it is given', async () => {
    const secret = path.join(dir, 'secret.json');
    await writeFileAtomic(secret, 'a');
    expect(modeOf(secret)).toBe(0o600);

    const shared = path.join(dir, 'shared.json');
    await writeFileAtomic(shared, 'b', 0o640);
    expect(modeOf(shared)).toBe(0o640);
  });

  it('gives a replaced file the new mode, not the old one', async () => {
    const file = path.join(dir, 'was-public.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await writeFileAtomic(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(modeOf(file)).toBe(0o600);
  });

  it('removes its temp file and throws when the rename fails', async () => {
    const target = path.join(dir, 'target');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'keep');
    await expect(writeFileAtomic(target, 'content')).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
    });
    // Only the directory that was in the way; no `.target.*.tmp` left behind.
    expect(fs.readdirSync(dir)).toEqual(['target']);
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('keep');
  });
});
