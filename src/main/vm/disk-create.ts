import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';

export interface DiskRequest {
  path: string;
  sizeGiB: number;
  format: 'qcow2' | 'raw';
}

const GIB = 1024 ** 3;
const SECTOR = 512;
const PROGRESS_POLL_MS = 250;
const QEMU_IMG_TIMEOUT_MS = 10 * 60_000;

/** qemu-img rounds a size up to whole 512-byte sectors; saying so up front keeps the answer exact. */
export function diskSizeBytes(sizeGiB: number): number {
  return Math.ceil((sizeGiB * GIB) / SECTOR) * SECTOR;
}

/**
 * What `qemu-img create` is asked for. A qcow2 disk is thin: it grows as the guest writes. A raw
 * disk gets its space reserved with fallocate (`preallocation=falloc`: quick, no zeros written),
 * so the guest never meets a full host file system halfway through; that is why one picks raw.
 */
export function qemuImgCreateArgs(request: DiskRequest, sizeBytes: number): string[] {
  const options = request.format === 'raw' ? ['-o', 'preallocation=falloc'] : [];
  return ['create', '-q', '-f', request.format, ...options, request.path, String(sizeBytes)];
}

/**
 * The folder must exist and be writable. Inside Tessera's own data dir (where the editor suggests
 * new disks) missing folders are made; elsewhere a missing folder is more likely a typo.
 */
async function checkFolder(file: string, ownDir: string | undefined): Promise<void> {
  const folder = path.dirname(file);
  const inOwnDir = ownDir !== undefined && !path.relative(ownDir, folder).startsWith('..');
  if (inOwnDir) await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  let stat;
  try {
    stat = await fsp.stat(folder);
  } catch {
    throw new TesseraError(
      'NOT_FOUND',
      `the folder ${folder} does not exist: create it first, or pick another`,
    );
  }
  if (!stat.isDirectory()) throw new TesseraError('BAD_INPUT', `${folder} is not a folder`);
  try {
    await fsp.access(folder, constants.W_OK);
  } catch {
    throw new TesseraError('BAD_INPUT', `this user cannot write in ${folder}: pick a folder of your own`);
  }
}

/**
 * Create an empty disk image. Never replaces a file: the name is claimed with O_EXCL before
 * qemu-img runs, so two requests for one path cannot both go ahead. Progress is what the file
 * system shows: the share of the size allocated so far (raw), and done when qemu-img is.
 */
export async function createDisk(
  request: DiskRequest,
  deps: {
    qemuImg: string;
    onProgress: (percent: number) => void;
    /** Tessera's data dir: folders inside it are made when missing. */
    ownDir?: string;
  },
): Promise<{ path: string; format: DiskRequest['format']; sizeBytes: number }> {
  if (!path.isAbsolute(request.path)) {
    throw new TesseraError('BAD_INPUT', `give the disk's full path, starting with / (got "${request.path}")`);
  }
  const file = path.normalize(request.path);
  await checkFolder(file, deps.ownDir);
  const sizeBytes = diskSizeBytes(request.sizeGiB);
  try {
    await (await fsp.open(file, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TesseraError(
        'CONFLICT',
        `${file} already exists: Tessera never overwrites a disk, pick another name`,
      );
    }
    throw new TesseraError('IO', `cannot create ${file}: ${(error as Error).message}`);
  }

  deps.onProgress(0);
  let last = 0;
  let done = false;
  const poll = setInterval(() => {
    void fsp.stat(file).then(
      (stat) => {
        const percent = Math.min(99, Math.floor(((stat.blocks * 512) / sizeBytes) * 100));
        if (!done && request.format === 'raw' && percent > last) deps.onProgress((last = percent));
      },
      () => undefined,
    );
  }, PROGRESS_POLL_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        deps.qemuImg,
        qemuImgCreateArgs({ ...request, path: file }, sizeBytes),
        { timeout: QEMU_IMG_TIMEOUT_MS },
        (error, _stdout, stderr) => {
          if (!error) return resolve();
          const reason = stderr.trim().split('\n').at(-1) || error.message;
          reject(new TesseraError('QEMU_FAILED', `qemu-img could not create ${file}: ${reason}`));
        },
      );
    });
  } catch (error) {
    await fsp.rm(file, { force: true });
    throw error;
  } finally {
    done = true;
    clearInterval(poll);
  }
  deps.onProgress(100);
  return { path: file, format: request.format, sizeBytes };
}
