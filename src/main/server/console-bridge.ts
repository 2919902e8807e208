import type WebSocket from 'ws';
import { CONSOLE_CLOSED, type ChannelSink, type ConsoleChannel } from '../console';

/**
 * How much output may wait in a WebSocket's send buffer before the console is asked to hold
 * back. Large enough that a full-screen VNC update never stalls on it, small enough that a slow
 * viewer cannot make the backend buffer without end.
 */
const SEND_BUFFER_HIGH = 4 << 20;

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A WebSocket close reason is at most 123 bytes (RFC 6455 §5.5). */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= 123
    ? reason
    : bytes
        .subarray(0, 123)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}

/**
 * A viewer's WebSocket joined to a console channel, frame by frame: the console's bytes go out
 * as binary frames; from the viewer, binary frames are bytes and text frames control messages.
 * Either side slowing down holds the other back; either side ending ends both.
 */
export function bridgeConsole(ws: WebSocket, channel: ConsoleChannel): void {
  let paused = false;
  channel.start({
    data(chunk, release) {
      if (ws.readyState !== ws.OPEN) return release?.();
      if (!paused && ws.bufferedAmount + chunk.length > SEND_BUFFER_HIGH) {
        // The callback of this send runs once it, and all before it, are written out.
        paused = true;
        channel.pause();
        ws.send(chunk, () => {
          release?.();
          paused = false;
          channel.resume();
        });
      } else {
        ws.send(chunk, release);
      }
    },
    drain: () => ws.resume(),
    end(reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, closeReason(reason));
    },
  });
  ws.on('message', (data, isBinary) => {
    if (!channel.write(toBuffer(data), !isBinary)) ws.pause();
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => channel.close(CONSOLE_CLOSED));
}

/**
 * A console channel over a WebSocket to the backend that owns the console, for a front that
 * only relays (`tessera serve` or the CLI next to a running backend). Frame types pass through.
 * The socket must be paused from its open on, so nothing arrives before `start`.
 */
export function webSocketChannel(ws: WebSocket): ConsoleChannel {
  let sink: ChannelSink | undefined;
  return {
    start(s) {
      sink = s;
      if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return s.end(CONSOLE_CLOSED);
      ws.on('message', (data) => s.data(toBuffer(data)));
      ws.on('close', (_code, reason) => s.end(reason.toString('utf8') || CONSOLE_CLOSED));
      ws.on('error', () => ws.terminate());
      ws.resume();
    },
    write(data, isText) {
      if (ws.readyState !== ws.OPEN) return true;
      const full = ws.bufferedAmount + data.length > SEND_BUFFER_HIGH;
      ws.send(data, { binary: !isText }, full ? () => sink?.drain() : undefined);
      return !full;
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close(reason = CONSOLE_CLOSED) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, closeReason(reason));
    },
  };
}
