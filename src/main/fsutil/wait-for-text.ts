import { TesseraError } from '../../shared/errors';
import { FileFollower } from './file-follower';

/**
 * QEMU's log can hold a byte more than once: a byte whose socket write failed with EAGAIN (a
 * console client slow to read) is logged, then logged again when the serial device retries it
 * (`qemu_chr_write_buffer` in chardev/char.c; `serial_xmit` in hw/char/serial.c, at most
 * MAX_XMIT_RETRY = 4 retries). So TEXT is matched with each of its bytes repeated up to that often.
 */
const LOGGED_AT_MOST = 5;

/** TEXT as a pattern over latin1 text that also matches it with bytes repeated as the log repeats them. */
function repeatedBytesPattern(needle: Buffer): RegExp {
  const bytes = [...needle].map((b) => `\\x${b.toString(16).padStart(2, '0')}{1,${LOGGED_AT_MOST}}`);
  return new RegExp(bytes.join(''));
}

/**
 * Wait until TEXT appears in a file that grows (QEMU's serial logfile). Reads only the new bytes
 * on each change, keeping enough of the last ones that a match split across writes is found.
 */
export async function waitForTextInFile(
  file: string,
  text: string,
  options: { timeoutMs: number; fromOffset?: number; isAlive?: () => boolean },
): Promise<{ elapsedMs: number }> {
  const started = Date.now();
  const needle = Buffer.from(text, 'utf8');
  const pattern = repeatedBytesPattern(needle);
  const keep = needle.length * LOGGED_AT_MOST - 1;
  const follower = new FileFollower(file, options.fromOffset ?? 0);
  let carry = Buffer.alloc(0);
  try {
    for (;;) {
      const { chunks, restarted } = await follower.read();
      // A new run truncated the log: what we kept of the old one must not join the new text.
      if (restarted) carry = Buffer.alloc(0);
      for (const chunk of chunks) {
        const window = Buffer.concat([carry, chunk]);
        if (pattern.test(window.toString('latin1'))) return { elapsedMs: Date.now() - started };
        carry = window.subarray(Math.max(0, window.length - keep));
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
