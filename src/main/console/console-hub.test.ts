import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VM_STOPPED } from './console-channel';
import { ConsoleHub } from './console-hub';

/**
 * QEMU's side of a serial console as the hub meets it: a unix socket server that takes one
 * client, and the log QEMU writes of the same output. `qemu_chr_write_buffer` (chardev/char.c)
 * logs a byte whose socket write failed with EAGAIN, then logs it again when the serial device
 * retries, so under load the log holds bytes twice; the fake writes its log that way.
 */
class FakeQemuConsole {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-hub-'));
  readonly socketPath = path.join(this.dir, 'serial.sock');
  readonly logFile = path.join(this.dir, 'serial.log');
  private client: net.Socket | undefined;
  private readonly server = net.createServer((socket) => {
    this.client = socket;
    this.accepted();
  });
  private accepted: () => void = () => undefined;
  readonly received: Buffer[] = [];

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** Waits for the hub's connection; input it sends is kept. */
  async connection(): Promise<net.Socket> {
    if (!this.client) await new Promise<void>((resolve) => (this.accepted = resolve));
    const client = this.client as net.Socket;
    client.on('data', (chunk: Buffer) => this.received.push(chunk));
    return client;
  }

  /** Output while nobody is connected: only the log has it. */
  printUnconnected(text: string): void {
    fs.appendFileSync(this.logFile, text);
  }

  /** Output while connected, each byte's first socket write refused: the log doubles it. */
  printUnderLoad(text: string): void {
    this.client?.write(text);
    fs.appendFileSync(this.logFile, [...text].map((c) => c + c).join(''));
  }

  close(): void {
    this.client?.destroy();
    this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

let qemu: FakeQemuConsole | undefined;
afterEach(() => qemu?.close());

function viewerOutput(hub: ConsoleHub) {
  const seen: Buffer[] = [];
  let ended: string | undefined;
  return {
    seen: () => Buffer.concat(seen).toString(),
    ended: () => ended,
    attach: async () => {
      const channel = await hub.attach();
      channel.start({
        data: (chunk) => seen.push(Buffer.from(chunk)),
        drain: () => undefined,
        end: (reason) => (ended = reason),
      });
      return channel;
    },
  };
}

describe('ConsoleHub', () => {
  it('shows the log from before it connected, then every byte the socket carries exactly once', async () => {
    qemu = new FakeQemuConsole();
    await qemu.listen();
    qemu.printUnconnected('boot log\r\n');
    const hub = new ConsoleHub({ socketPath: qemu.socketPath, logFile: qemu.logFile }, () => undefined);
    const viewer = viewerOutput(hub);
    const channel = await viewer.attach();
    await qemu.connection();
    qemu.printUnderLoad('TSRE-cf17291d-7\r\n');
    await expect.poll(() => viewer.seen()).toBe('boot log\r\nTSRE-cf17291d-7\r\n');
    // The log has it twice over; a viewer that joins now gets the hub's own scrollback.
    expect(fs.readFileSync(qemu.logFile, 'latin1')).toContain('TTSSRREE');
    const late = viewerOutput(hub);
    await late.attach();
    expect(late.seen()).toBe('boot log\r\nTSRE-cf17291d-7\r\n');

    channel.write(Buffer.from('ls\n'), false);
    await expect.poll(() => Buffer.concat(qemu?.received ?? []).toString()).toBe('ls\n');
  });

  it('ends its viewers when QEMU closes the socket', async () => {
    qemu = new FakeQemuConsole();
    await qemu.listen();
    const hub = new ConsoleHub({ socketPath: qemu.socketPath, logFile: qemu.logFile }, () => undefined);
    const viewer = viewerOutput(hub);
    await viewer.attach();
    const client = await qemu.connection();
    client.end('last words\r\n');
    await expect.poll(() => viewer.ended()).toBe(VM_STOPPED);
    expect(viewer.seen()).toBe('last words\r\n');
  });
});
