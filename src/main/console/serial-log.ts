import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { TesseraError } from '../../shared/errors';

/**
 * Wait until TEXT appears in a file that grows (QEMU's serial logfile). Reads only the new bytes
 * on each change, keeping the last len(TEXT)-1 bytes so a match split across writes is found.
 */
export async function waitForTextInFile(
  file: string,
  text: string,
  options: { timeoutMs: number; fromOffset?: number; isAlive?: () => boolean },
): Promise<{ elapsedMs: number }> {
  const started = Date.now();
  const needle = Buffer.from(text, 'utf8');
  let offset = options.fromOffset ?? 0;
  let carry = Buffer.alloc(0);
  let watcher: fs.FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const readNew = async (): Promise<boolean> => {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch {
      return false;
    }
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        // A new run truncated the log: what we kept of the old one must not join the new text.
        offset = 0;
        carry = Buffer.alloc(0);
      }
      while (offset < size) {
        const chunk = Buffer.alloc(Math.min(size - offset, 1 << 20));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const window = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        if (window.includes(needle)) return true;
        carry = window.subarray(Math.max(0, window.length - (needle.length - 1)));
      }
      return false;
    } finally {
      await handle.close();
    }
  };

  try {
    try {
      watcher = fs.watch(file, () => wake?.());
    } catch {
      // The file may not exist yet; polling covers it.
    }
    for (;;) {
      if (await readNew()) return { elapsedMs: Date.now() - started };
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw new TesseraError(
          'TIMEOUT',
          `"${text}" did not appear on the serial console within ${options.timeoutMs / 1000} s`,
        );
      }
      if (options.isAlive && !options.isAlive()) {
        throw new TesseraError(
          'INVALID_STATE',
          `the VM stopped before "${text}" appeared on its serial console`,
        );
      }
      // inotify wakes us at once; the short poll covers file systems where it does not.
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.min(left, 50));
      });
      clearTimeout(timer);
    }
  } finally {
    watcher?.close();
    clearTimeout(timer);
  }
}
