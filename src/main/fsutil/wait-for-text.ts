import { TesseraError } from '../../shared/errors';
import { FileFollower } from './file-follower';

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
  const follower = new FileFollower(file, options.fromOffset ?? 0);
  let carry = Buffer.alloc(0);
  try {
    for (;;) {
      const { chunks, restarted } = await follower.read();
      // A new run truncated the log: what we kept of the old one must not join the new text.
      if (restarted) carry = Buffer.alloc(0);
      for (const chunk of chunks) {
        const window = Buffer.concat([carry, chunk]);
        if (window.includes(needle)) return { elapsedMs: Date.now() - started };
        carry = window.subarray(Math.max(0, window.length - (needle.length - 1)));
      }
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
      await follower.changed(Math.min(left, 50));
    }
  } finally {
    follower.close();
  }
}
