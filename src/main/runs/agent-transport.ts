import net from 'node:net';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import type { ExecEnd, GuestTransport } from './guest-transport';
import type { OutputFile } from './output-file';

/** What guest-file-read may return at once; QEMU's qga/commands-posix.c caps a read at 48 MiB. */
const READ_CHUNK_BYTES = 1 << 20;
const SYNC_EVERY_MS = 2000;
const OUT = '/tmp/.tessera-agent';

const Reply = z.union([
  z.object({ return: z.unknown() }),
  z.object({ error: z.object({ class: z.string(), desc: z.string() }) }),
]);
const ExecReply = z.object({ pid: z.int() });
const ExecStatus = z.object({
  exited: z.boolean(),
  exitcode: z.int().optional(),
  signal: z.int().optional(),
});
const FileRead = z.object({ count: z.int(), 'buf-b64': z.string(), eof: z.boolean() });

class AgentRefused extends Error {
  constructor(
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Commands over the QEMU guest agent (qemu-ga) on its virtio-serial channel
 * (docs/interop/qemu-ga-ref in QEMU): `guest-sync-delimited` until it answers, then
 * `guest-exec` + `guest-exec-status` for each command. Output is not taken from
 * `guest-exec-status` (it arrives whole, up to 16 MiB, when the process exits): the command's
 * stdout and stderr go to files in the guest, read back with `guest-file-read` a chunk at a time
 * up to the step's limit, so a big output is never held whole.
 */
export class AgentTransport implements GuestTransport {
  readonly kind = 'guest-agent' as const;
  private socket: net.Socket | undefined;
  private buffer = Buffer.alloc(0);
  private waiting: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined;
  private synced = false;

  constructor(private readonly socketPath: string) {}

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let id = Date.now() % 1_000_000_000; ; id++) {
      try {
        await this.connect();
        const answer = await this.request(
          { execute: 'guest-sync-delimited', arguments: { id } },
          SYNC_EVERY_MS,
        );
        if (answer === id) break;
      } catch (error) {
        if (error instanceof AgentRefused) throw error;
        // No agent yet: QEMU accepts the connection and holds what we write until one reads it.
      }
      if (Date.now() >= deadline)
        throw new TesseraError('TIMEOUT', `the guest agent did not answer within ${timeoutMs / 1000} s`);
    }
    this.synced = true;
  }

  async exec(
    command: string,
    timeoutMs: number,
    out: { stdout: OutputFile; stderr: OutputFile },
  ): Promise<ExecEnd> {
    if (!this.synced) return { kind: 'lost', reason: 'the guest agent never answered' };
    const started = Date.now();
    let pid: number;
    try {
      pid = ExecReply.parse(
        await this.request({
          execute: 'guest-exec',
          arguments: {
            path: '/bin/sh',
            // One shell: it redirects its own streams, then runs the command.
            arg: ['-c', `exec >${OUT}.out 2>${OUT}.err </dev/null\n${command}`],
          },
        }),
      ).pid;
    } catch (error) {
      return { kind: 'lost', reason: describe(error) };
    }
    try {
      for (let wait = 5; ; wait = Math.min(wait * 2, 40)) {
        const status = ExecStatus.parse(
          await this.request({ execute: 'guest-exec-status', arguments: { pid } }),
        );
        if (status.exited) {
          await this.readFile(`${OUT}.out`, out.stdout);
          await this.readFile(`${OUT}.err`, out.stderr);
          // A command killed by a signal has no exit code; the shell's convention is 128 + signal.
          return { kind: 'exited', exitCode: status.exitcode ?? 128 + (status.signal ?? 0) };
        }
        if (Date.now() - started >= timeoutMs) {
          // The agent has no call to stop what guest-exec started; a second command does.
          await this.request({
            execute: 'guest-exec',
            arguments: { path: '/bin/kill', arg: ['-KILL', String(pid)] },
          }).catch(() => undefined);
          return { kind: 'timeout' };
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    } catch (error) {
      return { kind: 'lost', reason: describe(error) };
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** Reads a guest file into `sink` until its end or the sink's limit (one chunk past it, to know). */
  private async readFile(file: string, sink: OutputFile): Promise<void> {
    const handle = z
      .int()
      .parse(await this.request({ execute: 'guest-file-open', arguments: { path: file, mode: 'r' } }));
    try {
      for (;;) {
        const chunk = FileRead.parse(
          await this.request({ execute: 'guest-file-read', arguments: { handle, count: READ_CHUNK_BYTES } }),
        );
        sink.write(Buffer.from(chunk['buf-b64'], 'base64'));
        if (chunk.eof || chunk.count === 0 || sink.truncated) return;
      }
    } finally {
      await this.request({ execute: 'guest-file-close', arguments: { handle } }).catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    const socket = net.createConnection(this.socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (e) =>
        reject(new TesseraError('UNAVAILABLE', `the guest agent's channel cannot be opened: ${e.message}`)),
      );
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.waiting?.reject(new Error('the guest agent channel closed (QEMU exited)')));
    socket.on('data', (chunk) => this.receive(chunk));
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
  }

  private request(message: object, timeoutMs = 60_000): Promise<unknown> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error('the guest agent channel is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        // A late answer would be taken for the next request's: start afresh.
        this.close();
        reject(new Error('the guest agent did not answer'));
      }, timeoutMs);
      this.waiting = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      socket.write(JSON.stringify(message) + '\n');
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    // guest-sync-delimited's answer starts with 0xFF, which drops whatever came before it.
    const sentinel = this.buffer.lastIndexOf(0xff);
    if (sentinel >= 0) this.buffer = this.buffer.subarray(sentinel + 1);
    for (let nl = this.buffer.indexOf(0x0a); nl >= 0; nl = this.buffer.indexOf(0x0a)) {
      const line = this.buffer.subarray(0, nl).toString('utf8').trim();
      this.buffer = this.buffer.subarray(nl + 1);
      if (line === '') continue;
      const waiting = this.waiting;
      this.waiting = undefined;
      let reply: z.infer<typeof Reply>;
      try {
        reply = Reply.parse(JSON.parse(line));
      } catch {
        waiting?.reject(
          new Error(`the guest agent sent something that is not a reply: ${line.slice(0, 100)}`),
        );
        continue;
      }
      if ('error' in reply) {
        // QEMU says "Command guest-exec has been disabled" when the agent runs with --allow-rpcs/--block-rpcs.
        const refused = /disabled|not found/i.test(reply.error.desc)
          ? `the guest agent refuses it (${reply.error.desc}): its guest-exec is disabled (qemu-ga --allow-rpcs/--block-rpcs)`
          : `the guest agent failed: ${reply.error.desc}`;
        waiting?.reject(new AgentRefused(reply.error.class, refused));
      } else waiting?.resolve(reply.return);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
