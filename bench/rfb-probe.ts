import net from 'node:net';
import WebSocket from 'ws';

/**
 * A byte stream as a benchmark client reads it, over a unix socket or a WebSocket (whose
 * binary messages are joined into one stream, as noVNC does).
 */
export interface ByteLink {
  send(data: Buffer): void;
  /** Exactly `n` bytes. */
  read(n: number): Promise<Buffer>;
  /** Consume `n` bytes without keeping them (pixel data of an update). */
  skip(n: number): Promise<void>;
  close(): void;
}

class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;
  private wanted = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.wake && this.size >= this.wanted) {
      const w = this.wake;
      this.wake = undefined;
      w();
    }
  }

  fail(error: Error): void {
    this.failure = error;
    this.wake?.();
  }

  private async have(n: number): Promise<void> {
    while (this.size < n) {
      if (this.failure) throw this.failure;
      this.wanted = n;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async take(n: number, keep: boolean): Promise<Buffer> {
    await this.have(n);
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.chunks[0] as Buffer;
      if (head.length <= left) {
        this.chunks.shift();
        if (keep) out.push(head);
        left -= head.length;
      } else {
        if (keep) out.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.size -= n;
    return keep ? Buffer.concat(out, n) : Buffer.alloc(0);
  }
}

function linkOver(queue: ByteQueue, send: (d: Buffer) => void, close: () => void): ByteLink {
  return {
    send,
    read: (n) => queue.take(n, true),
    skip: async (n) => void (await queue.take(n, false)),
    close,
  };
}

export function unixLink(socketPath: string): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const queue = new ByteQueue();
    const socket = net.createConnection(socketPath);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => queue.push(d));
    socket.on('close', () => queue.fail(new Error('socket closed')));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve(
        linkOver(
          queue,
          (d) => socket.write(d),
          () => socket.destroy(),
        ),
      ),
    );
  });
}

export function webSocketLink(url: string, headers: Record<string, string> = {}): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const queue = new ByteQueue();
    // noVNC's way: the 'binary' subprotocol, no compression.
    const ws = new WebSocket(url, ['binary'], { headers, perMessageDeflate: false });
    ws.on('message', (d: Buffer) => queue.push(d));
    ws.on('close', () => queue.fail(new Error('WebSocket closed')));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve(
        linkOver(
          queue,
          (d) => ws.send(d),
          () => ws.close(),
        ),
      ),
    );
  });
}

// RFB 3.8 (RFC 6143) plus the one QEMU extension that answers at once.
const RAW = 0;
/** QEMU acknowledges this pseudo-encoding with an immediate one-rectangle update (ui/vnc.c). */
const QEMU_EXTENDED_KEY_EVENT = -258;

export interface RfbSession {
  link: ByteLink;
  width: number;
  height: number;
  /** The ServerInit message as sent: size, pixel format, name. */
  serverInit: Buffer;
}

/** Version, security type None, shared ClientInit, ServerInit; raw encoding only. */
export async function rfbHandshake(link: ByteLink): Promise<RfbSession> {
  const version = (await link.read(12)).toString('latin1');
  if (!version.startsWith('RFB 003.')) throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
  link.send(Buffer.from('RFB 003.008\n'));
  const count = (await link.read(1)).readUInt8(0);
  const types = [...(await link.read(count))];
  if (!types.includes(1)) throw new Error(`the VNC server wants authentication (${types.join(', ')})`);
  link.send(Buffer.from([1]));
  if ((await link.read(4)).readUInt32BE(0) !== 0) throw new Error('VNC security handshake failed');
  link.send(Buffer.from([1]));
  const init = await link.read(24);
  const name = await link.read(init.readUInt32BE(20));
  setEncodings(link, [RAW]);
  return {
    link,
    width: init.readUInt16BE(0),
    height: init.readUInt16BE(2),
    serverInit: Buffer.concat([init, name]),
  };
}

function setEncodings(link: ByteLink, encodings: number[]): void {
  const message = Buffer.alloc(4 + 4 * encodings.length);
  message.writeUInt8(2, 0);
  message.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => message.writeInt32BE(e, 4 + 4 * i));
  link.send(message);
}

/**
 * One round trip of a small message: SetEncodings with QEMU's extended-key-event pseudo-encoding,
 * answered at once with a 16-byte update, not on the display's refresh timer.
 */
export async function rfbPing(session: RfbSession): Promise<void> {
  setEncodings(session.link, [RAW, QEMU_EXTENDED_KEY_EVENT]);
  const reply = await session.link.read(16);
  if (reply.readUInt8(0) !== 0 || reply.readInt32BE(12) !== QEMU_EXTENDED_KEY_EVENT) {
    throw new Error('unexpected answer to the ping');
  }
}

/**
 * Ask for the whole screen (non-incremental) and read the update: the number of bytes it took,
 * and with `keep` the update message itself.
 */
export async function rfbFullUpdate(
  session: RfbSession,
  keep = false,
): Promise<{ bytes: number; message?: Buffer }> {
  const kept: Buffer[] = [];
  const read = async (n: number) => {
    const b = await session.link.read(n);
    if (keep) kept.push(b);
    return b;
  };
  const skip = (n: number) => (keep ? read(n).then(() => undefined) : session.link.skip(n));
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(0, 1);
  request.writeUInt16BE(session.width, 6);
  request.writeUInt16BE(session.height, 8);
  session.link.send(request);
  for (;;) {
    const type = (await session.link.read(1)).readUInt8(0);
    if (type === 2) continue; // bell
    if (type === 3) {
      const head = await session.link.read(7);
      await session.link.skip(head.readUInt32BE(3));
      continue;
    }
    if (type !== 0) throw new Error(`unexpected RFB message type ${type}`);
    kept.push(Buffer.from([0]));
    const head = await read(3);
    const rects = head.readUInt16BE(1);
    let bytes = 4;
    for (let i = 0; i < rects; i++) {
      const rect = await read(12);
      const w = rect.readUInt16BE(4);
      const h = rect.readUInt16BE(6);
      const encoding = rect.readInt32BE(8);
      if (encoding !== RAW) throw new Error(`unexpected encoding ${encoding}`);
      // 32 bits per pixel: QEMU's default pixel format, which we never change.
      await skip(w * h * 4);
      bytes += 12 + w * h * 4;
    }
    return keep ? { bytes, message: Buffer.concat(kept) } : { bytes };
  }
}
