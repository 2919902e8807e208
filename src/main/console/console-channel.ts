import type net from 'node:net';
import { CONSOLE_CLOSE_REASONS } from '../../shared/console-messages';

/** Where a console's output goes: the bridge to a viewer's WebSocket. */
export interface ChannelSink {
  data(chunk: Buffer): void;
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

/**
 * A channel over a connected socket to QEMU (VNC, SPICE). The socket stays paused until
 * `start`, so the server's greeting reaches the viewer whatever the timing of the upgrade.
 */
export function socketChannel(socket: net.Socket): ConsoleChannel {
  let sink: ChannelSink | undefined;
  let ended = false;
  let endReason: string = CONSOLE_CLOSED;
  const finish = () => {
    if (ended) return;
    ended = true;
    sink?.end(endReason);
  };
  socket.pause();
  socket.on('error', () => socket.destroy());
  socket.on('close', finish);
  return {
    start(s) {
      sink = s;
      if (ended) return s.end(endReason);
      socket.on('data', (chunk: Buffer) => s.data(chunk));
      socket.on('drain', () => s.drain());
      socket.resume();
    },
    write(data, isText) {
      // Only bytes go to QEMU; VNC and SPICE have no control messages of ours.
      if (isText || socket.destroyed) return true;
      return socket.write(data);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close(reason) {
      if (reason !== undefined) endReason = reason;
      socket.destroy();
    },
  };
}
