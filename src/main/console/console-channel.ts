import net from 'node:net';
import { CONSOLE_CLOSE_REASONS } from '../../shared/console-messages';

/** Where a console's output goes: the bridge to a viewer's WebSocket. */
export interface ChannelSink {
  /**
   * Output. With `release`, the chunk's memory is lent: call `release` once the chunk is no
   * longer needed (sent), and not before; never calling it is safe, only slower.
   */
  data(chunk: Buffer, release?: () => void): void;
  /** The console takes input again after `write` returned false. */
  drain(): void;
  /** The console side ended; `reason` is for the viewer ("VM stopped"), never a secret. */
  end(reason: string): void;
}

/**
 * One viewer's session with one console (a VNC or SPICE socket, a serial or monitor hub, a pty).
 * Message-shaped rather than a byte stream, because a WebSocket's frame type carries meaning:
 * binary frames are the console's bytes, text frames control messages (a terminal's size).
 */
export interface ConsoleChannel {
  /** Start the output flowing to `sink`; output that arrived before waits for this. */
  start(sink: ChannelSink): void;
  /** From the viewer. False asks the caller to hold further input until `sink.drain()`. */
  write(data: Buffer, isText: boolean): boolean;
  /** The viewer is slow: hold the output (as far as the console allows). */
  pause(): void;
  resume(): void;
  /** The viewer left, or the session was ended from our side. Idempotent. */
  close(reason?: string): void;
}

export const CONSOLE_CLOSED = CONSOLE_CLOSE_REASONS.closed;
export const VM_STOPPED = CONSOLE_CLOSE_REASONS.vmStopped;

// Read buffers for console sockets, reused once the bridge has sent what they held. Node
// otherwise gives every 64 KiB read a fresh ArrayBuffer, and a full-screen VNC stream of those
// keeps V8 busy with old-space collections (measured: a tenth of the bridge's time, and
// millisecond pauses in the latency tail).
const READ_BYTES = 64 * 1024;
const POOLED_MAX = 64;
const pool: Buffer[] = [];
const takeBuffer = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
const giveBuffer = (buffer: Buffer): void => {
  if (pool.length < POOLED_MAX) pool.push(buffer);
};

/**
 * A channel over a new connection to a QEMU socket (VNC, SPICE). What QEMU sends before `start`
 * (its greeting) waits, with reading paused, so it reaches the viewer whatever the timing of the
 * WebSocket upgrade.
 */
export async function connectSocketChannel(socketPath: string): Promise<ConsoleChannel> {
  let sink: ChannelSink | undefined;
  const early: Buffer[] = [];
  let paused = false;
  let ended = false;
  let endReason: string = CONSOLE_CLOSED;
  const socket = net.createConnection({
    path: socketPath,
    onread: {
      buffer: takeBuffer,
      callback(bytes: number, buffer: Uint8Array) {
        const chunk = buffer as Buffer;
        if (!sink) {
          early.push(Buffer.from(chunk.subarray(0, bytes)));
          giveBuffer(chunk);
          return false;
        }
        sink.data(chunk.subarray(0, bytes), () => giveBuffer(chunk));
        return !paused;
      },
    },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const finish = () => {
    if (ended) return;
    ended = true;
    sink?.end(endReason);
  };
  socket.on('error', () => socket.destroy());
  socket.on('close', finish);
  return {
    start(s) {
      sink = s;
      if (ended) return s.end(endReason);
      for (const chunk of early.splice(0)) s.data(chunk);
      socket.on('drain', () => s.drain());
      if (!paused) socket.resume();
    },
    write(data, isText) {
      // Only bytes go to QEMU; VNC and SPICE have no control messages of ours.
      if (isText || socket.destroyed) return true;
      return socket.write(data);
    },
    pause() {
      paused = true;
      socket.pause();
    },
    resume() {
      paused = false;
      if (sink) socket.resume();
    },
    close(reason) {
      if (reason !== undefined) endReason = reason;
      socket.destroy();
    },
  };
}
