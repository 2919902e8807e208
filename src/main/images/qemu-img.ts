import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';

const QEMU_IMG_TIMEOUT_MS = 60 * 60_000;

function run(qemuImg: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      qemuImg,
      args,
      { timeout: QEMU_IMG_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const reason = stderr.trim().split('\n').at(-1) || error.message;
        reject(new TesseraError('QEMU_FAILED', `qemu-img could not ${what}: ${reason}`));
      },
    );
  });
}

/** What `qemu-img info --output=json` says that matters here (qapi/block-core.json ImageInfo). */
const QemuImgInfo = z.object({
  format: z.string(),
  'virtual-size': z.number(),
  'actual-size': z.number().optional(),
  'backing-filename': z.string().optional(),
  'full-backing-filename': z.string().optional(),
  snapshots: z.array(z.object({ name: z.string() })).optional(),
});
export type QemuImgInfo = z.infer<typeof QemuImgInfo>;

/**
 * `-U` (force share) so a file QEMU holds open can still be looked at; the answer is only read,
 * never used to write.
 */
export async function imageInfo(qemuImg: string, file: string): Promise<QemuImgInfo> {
  const out = await run(qemuImg, ['info', '-U', '--output=json', file], `read ${file}`);
  const parsed = QemuImgInfo.safeParse(JSON.parse(out));
  if (!parsed.success)
    throw new TesseraError('QEMU_FAILED', `qemu-img info gave an unexpected answer for ${file}`);
  return parsed.data;
}

/**
 * A new qcow2 overlay of `backing`. `-F` (the backing format) is mandatory with `-b` since QEMU
 * 6.1 (docs/about/removed-features.rst "qemu-img backing file without format"); writing it also
 * keeps QEMU from probing the golden image's format.
 */
export async function createOverlay(
  qemuImg: string,
  overlay: string,
  backing: { path: string; format: string },
): Promise<void> {
  await run(
    qemuImg,
    ['create', '-q', '-f', 'qcow2', '-b', backing.path, '-F', backing.format, overlay],
    `create the overlay ${overlay}`,
  );
}

/** Bytes a flattened qcow2 copy of `file` (with its backing chain) needs (`qemu-img measure`). */
export async function measureFlattened(qemuImg: string, file: string): Promise<number> {
  const out = await run(qemuImg, ['measure', '-U', '--output=json', '-O', 'qcow2', file], `measure ${file}`);
  const parsed = z.object({ required: z.number() }).safeParse(JSON.parse(out));
  if (!parsed.success)
    throw new TesseraError('QEMU_FAILED', `qemu-img measure gave an unexpected answer for ${file}`);
  return parsed.data.required;
}

/**
 * Flatten `source` (and its backing chain) into a new qcow2 file `target`, reporting percent
 * done from qemu-img's `-p` output ("    (12.34/100%)\r").
 */
export function convertToQcow2(
  qemuImg: string,
  source: string,
  target: string,
  onProgress: (percent: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemuImg, ['convert', '-p', '-O', 'qcow2', source, target], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const part of parts) {
        const match = /\((\d+(?:\.\d+)?)\/100%\)/.exec(part);
        if (match) onProgress(Math.min(100, Number(match[1])));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) =>
      reject(new TesseraError('QEMU_FAILED', `could not run ${qemuImg}: ${error.message}`)),
    );
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      const reason = stderr.trim().split('\n').at(-1) || `exit code ${code}`;
      reject(new TesseraError('QEMU_FAILED', `qemu-img could not copy ${source}: ${reason}`));
    });
  });
}

/** SHA-256 of a file, streamed; `onProgress` gets percent done. */
export function sha256File(file: string, onProgress?: (percent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch (error) {
      reject(new TesseraError('NOT_FOUND', `${file} cannot be read: ${(error as Error).message}`));
      return;
    }
    let done = 0;
    let lastPercent = -1;
    const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    stream.on('data', (chunk) => {
      hash.update(chunk);
      done += chunk.length;
      const percent = size === 0 ? 100 : Math.floor((done / size) * 100);
      if (onProgress && percent !== lastPercent) onProgress((lastPercent = percent));
    });
    stream.once('error', (error) =>
      reject(new TesseraError('IO', `${file} cannot be read: ${error.message}`)),
    );
    stream.once('end', () => resolve(hash.digest('hex')));
  });
}
