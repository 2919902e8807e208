import crypto from 'node:crypto';
import { TesseraError } from '../../shared/errors';
import type { ExecEnd, GuestTransport } from './guest-transport';
import type { OutputFile } from './output-file';

/** The guest's serial console as the transport sees it: bytes in, bytes out. */
export interface SerialLine {
  write(data: Buffer): void;
  /** Output from now on, and `ended` once the console went away (QEMU exited). */
  start(sink: { data(chunk: Buffer): void; ended(reason: string): void }): void;
  close(): void;
}

/** busybox ash's line editor takes 1024 bytes a line (CONFIG_FEATURE_EDITING_MAX_LEN); 4 characters a byte stays well under. */
const CHUNK_BYTES = 150;
const SYNC_EVERY_MS = 2000;
const AFTER_INTERRUPT_MS = 15_000;
const TMP = '/tmp/.tessera-step';

/**
 * Strips the terminal's `\r` before `\n` (the tty's ONLCR turns every newline of the guest's
 * output into CRLF) from a stream cut at arbitrary places.
 */
class CrlfStripper {
  private pendingCr = false;
  constructor(private readonly out: OutputFile) {}
  write(chunk: Buffer): void {
    let data = chunk;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (data[0] !== 0x0a) this.out.write(Buffer.from('\r'));
    }
    if (data.at(-1) === 0x0d) {
      this.pendingCr = true;
      data = data.subarray(0, -1);
    }
    this.out.write(Buffer.from(data.toString('latin1').replaceAll('\r\n', '\n'), 'latin1'));
  }
  flush(): void {
    if (this.pendingCr) this.out.write(Buffer.from('\r'));
    this.pendingCr = false;
  }
}

type Phase =
  | { name: 'idle' }
  | { name: 'sync'; marker: Buffer; found: () => void }
  | { name: 'begin' | 'stdout' | 'stderr' | 'exit'; step: ActiveStep };

interface ActiveStep {
  begin: Buffer;
  end: Buffer;
  exit: Buffer;
  stdout: CrlfStripper;
  stderr: CrlfStripper;
  done: (code: number) => void;
  fail: (reason: string) => void;
}

/**
 * Commands over the guest's serial shell with a marker protocol: Tessera types a line that
 * writes the command (as printf's octal escapes, so no quoting reaches the shell) to a file, prints a begin marker,
 * runs it with stdin from /dev/null and stderr to a file, then prints an end marker, the stderr,
 * and an exit marker with `$?`. Markers carry a per-run nonce and are typed with a quote inside
 * (`"TSR""B-…"`), so the terminal's echo of the typed line never matches what the shell prints.
 * Needs a root shell on the console (the tiny guest's; a distribution's getty would need a login).
 */
export class SerialTransport implements GuestTransport {
  readonly kind = 'serial' as const;
  private readonly nonce = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private phase: Phase = { name: 'idle' };
  /** Bytes kept from the last chunk that may hold the start of a marker. */
  private carry: Buffer = Buffer.alloc(0);
  private lost: string | undefined;
  private onLost: ((reason: string) => void) | undefined;

  constructor(private readonly line: SerialLine) {
    line.start({
      data: (chunk) => this.receive(chunk),
      ended: (reason) => {
        this.lost = reason;
        this.onLost?.(reason);
      },
    });
  }

  private marker(kind: string, n: number): { typed: string; printed: Buffer } {
    return {
      typed: `"TSR""${kind}-${this.nonce}-${n}"`,
      printed: Buffer.from(`TSR${kind}-${this.nonce}-${n}`),
    };
  }

  /** Resolves when a sync line typed now (or one typed before) comes back. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const n = ++this.seq;
    const sync = this.marker('S', n);
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.onLost = undefined;
        this.phase = { name: 'idle' };
        if (error) reject(error);
        else resolve();
      };
      this.onLost = (reason) =>
        finish(new TesseraError('INVALID_STATE', `the serial console went away (${reason})`));
      this.phase = { name: 'sync', marker: sync.printed, found: () => finish() };
      // Until the shell runs, typed lines wait in the tty; each one typed again is harmless.
      const type = () => {
        if (Date.now() >= deadline) {
          finish(
            new TesseraError(
              'TIMEOUT',
              `no shell answered on the serial console within ${timeoutMs / 1000} s`,
            ),
          );
          return;
        }
        this.line.write(Buffer.from(`\x15echo ${sync.typed}\n`));
        timer = setTimeout(type, Math.min(SYNC_EVERY_MS, Math.max(1, deadline - Date.now())));
      };
      if (this.lost !== undefined) this.onLost(this.lost);
      else type();
    });
  }

  async exec(
    command: string,
    timeoutMs: number,
    out: { stdout: OutputFile; stderr: OutputFile },
  ): Promise<ExecEnd> {
    if (this.lost !== undefined) return { kind: 'lost', reason: this.lost };
    const n = ++this.seq;
    const begin = this.marker('B', n);
    const end = this.marker('E', n);
    const exit = this.marker('X', n);
    // The command as octal escapes for the shell's builtin printf: no quoting of it reaches the
    // shell, and no extra process runs (under TCG each one costs tens of milliseconds).
    const escaped = [...Buffer.from(command)].map((b) => `\\${b.toString(8).padStart(3, '0')}`);
    const chunks: string[] = [];
    for (let k = 0; k < escaped.length; k += CHUNK_BYTES)
      chunks.push(escaped.slice(k, k + CHUNK_BYTES).join(''));
    const lines = chunks.slice(0, -1).map((c, k) => `printf '${c}' ${k === 0 ? '>' : '>>'}${TMP}`);
    const last = `printf '${chunks.at(-1) ?? ''}' ${chunks.length === 1 ? '>' : '>>'}${TMP}`;
    lines.push(
      `${last}; echo ${begin.typed}; sh ${TMP} </dev/null 2>${TMP}.err; r=$?; echo ${end.typed}; [ -s ${TMP}.err ] && cat ${TMP}.err; echo ${exit.typed}-$r`,
    );
    const stdout = new CrlfStripper(out.stdout);
    const stderr = new CrlfStripper(out.stderr);
    const result = await new Promise<ExecEnd>((resolve) => {
      const finish = (value: ExecEnd) => {
        clearTimeout(timer);
        this.onLost = undefined;
        this.phase = { name: 'idle' };
        this.carry = Buffer.alloc(0);
        resolve(value);
      };
      this.onLost = (reason) => finish({ kind: 'lost', reason });
      this.phase = {
        name: 'begin',
        step: {
          begin: begin.printed,
          end: end.printed,
          exit: exit.printed,
          stdout,
          stderr,
          done: (exitCode) => finish({ kind: 'exited', exitCode }),
          fail: (reason) => finish({ kind: 'lost', reason }),
        },
      };
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      this.line.write(Buffer.from(lines.map((l) => `${l}\n`).join('')));
    });
    stdout.flush();
    stderr.flush();
    if (result.kind === 'timeout') {
      // Ctrl-C stops the command (the shell gets a fresh prompt); a sync shows the shell is back.
      this.line.write(Buffer.from('\x03'));
      try {
        await this.ready(AFTER_INTERRUPT_MS);
      } catch (error) {
        this.lost = `the shell did not come back after the command was interrupted: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return result;
  }

  close(): void {
    this.line.close();
  }

  private receive(chunk: Buffer): void {
    let data: Buffer = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    for (;;) {
      const phase = this.phase;
      if (phase.name === 'idle') return;
      if (phase.name === 'sync') {
        const at = data.indexOf(phase.marker);
        if (at >= 0) return phase.found();
        this.carry = data.subarray(Math.max(0, data.length - phase.marker.length + 1));
        return;
      }
      const step = phase.step;
      if (phase.name === 'begin') {
        const at = lineAfter(data, step.begin);
        if (at < 0) {
          this.carry = data.subarray(Math.max(0, data.length - step.begin.length - 1));
          return;
        }
        data = data.subarray(at);
        this.phase = { name: 'stdout', step };
        continue;
      }
      if (phase.name === 'stdout' || phase.name === 'stderr') {
        const marker = phase.name === 'stdout' ? step.end : step.exit;
        const sink = phase.name === 'stdout' ? step.stdout : step.stderr;
        const at = data.indexOf(marker);
        if (at < 0) {
          const keep = Math.min(data.length, marker.length - 1);
          sink.write(data.subarray(0, data.length - keep));
          this.carry = data.subarray(data.length - keep);
          return;
        }
        sink.write(data.subarray(0, at));
        if (phase.name === 'stdout') {
          // The end marker is followed by its own newline; stderr starts after it.
          const next = lineAfter(data.subarray(at), marker);
          if (next < 0) {
            this.carry = data.subarray(at);
            return;
          }
          data = data.subarray(at + next);
          this.phase = { name: 'stderr', step };
        } else {
          data = data.subarray(at + marker.length);
          this.phase = { name: 'exit', step };
        }
        continue;
      }
      // exit: `-<digits>` then the line's end.
      const text = data.toString('latin1');
      const match = /^-(\d{1,3})\r?\n/.exec(text);
      if (match) return step.done(Number(match[1]));
      if (!/^-?\d{0,3}\r?$/.test(text))
        return step.fail(`the exit marker was followed by ${JSON.stringify(text.slice(0, 20))}`);
      this.carry = data;
      return;
    }
  }
}

/** Offset just past the line that holds `marker` (its `\r\n`), or -1 while that line is incomplete. */
function lineAfter(data: Buffer, marker: Buffer): number {
  const at = data.indexOf(marker);
  if (at < 0) return -1;
  const nl = data.indexOf(0x0a, at + marker.length);
  return nl < 0 ? -1 : nl + 1;
}
