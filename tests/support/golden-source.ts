import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A disk image for golden-image tests: an ext2 file system (busybox mke2fs, which the tiny
 * guest needs anyway) that the tiny guest mounts, as qcow2. `random` fills the space under
 * the file system with random bytes first, so copies take long enough to report progress.
 */
export function makeGoldenSource(dir: string, sizeMiB: number, options: { random?: boolean } = {}): string {
  const name = `golden-${sizeMiB}${options.random ? '-random' : ''}`;
  const raw = path.join(dir, `${name}.raw`);
  const qcow2 = path.join(dir, `${name}.qcow2`);
  if (fs.existsSync(qcow2)) return qcow2;
  if (options.random) {
    const fd = fs.openSync(raw, 'w');
    for (let i = 0; i < sizeMiB; i++) fs.writeSync(fd, randomBytes(1 << 20));
    fs.closeSync(fd);
  } else {
    fs.writeFileSync(raw, '');
    fs.truncateSync(raw, sizeMiB << 20);
  }
  execFileSync('/bin/busybox', ['mke2fs', '-F', raw], { stdio: 'ignore' });
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', raw, qcow2]);
  fs.rmSync(raw);
  return qcow2;
}

export const sha256 = (file: string): string =>
  createHash('sha256').update(fs.readFileSync(file)).digest('hex');
