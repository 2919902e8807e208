import net from 'node:net';
import { EventEmitter } from 'node:events';
import { TesseraError } from '../../shared/errors';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A QMP connection (docs/interop/qmp-spec in QEMU): one JSON object per line; a greeting,
 * `qmp_capabilities` to leave negotiation mode, then commands with ids and asynchronous events.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private greeted = false;
  private onGreeting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly greeting = new Promise<void>((resolve, reject) => (this.onGreeting = { resolve, reject }));

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => {
      // 'close' follows and fails the pending commands.
    });
  }

  /** Connect, wait for the greeting and negotiate capabilities. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = net.createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new QmpClient(socket);
    let timer: NodeJS.Timeout | undefined;
    const handshake = (async () => {
      await client.greeting;
      await client.execute('qmp_capabilities');
    })();
    try {
      // One deadline for greeting and negotiation: a QEMU stuck in either must not hang us.
      await Promise.race([
        handshake,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new TesseraError('TIMEOUT', `QMP at ${path} did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      handshake.catch(() => undefined);
      client.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new TesseraError('UNAVAILABLE', 'the QMP connection is closed'));
    const id = `t${this.nextId++}`;
    const message = args ? { execute: command, arguments: args, id } : { execute: command, id };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify(message) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (!this.greeted && 'QMP' in message) {
      this.greeted = true;
      this.onGreeting?.resolve();
      return;
    }
    if (typeof message.event === 'string') {
      this.emit('event', message as unknown as QmpEvent);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || !id) return;
    this.pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(
        new TesseraError('QEMU_FAILED', `QEMU refused: ${error.desc ?? 'unknown error'}`, {
          class: error.class,
        }),
      );
    } else {
      pending.resolve(message.return);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.onGreeting?.reject(
      new TesseraError('UNAVAILABLE', 'QEMU closed the QMP connection before greeting'),
    );
    for (const p of this.pending.values())
      p.reject(new TesseraError('UNAVAILABLE', 'QEMU closed the QMP connection'));
    this.pending.clear();
    this.emit('close');
  }
}
