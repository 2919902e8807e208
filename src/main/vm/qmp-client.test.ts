import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient, type QmpEvent } from './qmp-client';
import { rejection } from '../../../tests/support/rejection';

/** QEMU 7.2's greeting, byte for byte as it prints it on the QMP socket. */
const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18"}, "capabilities": ["oob"]}}';

interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id: string;
}

/** The server end of one QMP connection: reads the client's commands line by line. */
class ServerConn {
  private buffer = '';
  private readonly received: QmpCommand[] = [];
  private readonly waiters: ((command: QmpCommand) => void)[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        const command = JSON.parse(line) as QmpCommand;
        const waiter = this.waiters.shift();
        if (waiter) waiter(command);
        else this.received.push(command);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** The next command the client sent. */
  next(): Promise<QmpCommand> {
    const command = this.received.shift();
    if (command) return Promise.resolve(command);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Write raw text exactly as given (may hold several lines, or part of one). */
  write(text: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(text, (error) => (error ? reject(error) : resolve())),
    );
  }

  line(text: string): Promise<void> {
    return this.write(text + '\n');
  }

  /** Greeting, then answer `qmp_capabilities` as QEMU does. */
  async handshake(): Promise<void> {
    await this.line(GREETING);
    const command = await this.next();
    expect(command.execute).toBe('qmp_capabilities');
    await this.line(`{"return": {}, "id": ${JSON.stringify(command.id)}}`);
  }
}

let dir: string;
let socketPath: string;
let server: net.Server;
let connections: Promise<ServerConn>[];
let accepted: ServerConn[];
let clients: QmpClient[];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-qmp-'));
  socketPath = path.join(dir, 'qmp.sock');
  connections = [];
  accepted = [];
  clients = [];
  let accept: ((conn: ServerConn) => void) | undefined;
  const queue = () => connections.push(new Promise<ServerConn>((resolve) => (accept = resolve)));
  queue();
  server = net.createServer((socket) => {
    const resolve = accept;
    const conn = new ServerConn(socket);
    accepted.push(conn);
    queue();
    resolve?.(conn);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterEach(async () => {
  for (const c of clients) c.close();
  // Drop live server-side sockets so close() can finish.
  for (const c of accepted) c.socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The first connection the fake server accepted. */
function firstConnection(): Promise<ServerConn> {
  const first = connections[0];
  if (!first) throw new Error('no connection slot');
  return first;
}

/** Connect a client while the fake server plays the handshake. */
async function connected(): Promise<{ client: QmpClient; conn: ServerConn }> {
  const clientPromise = QmpClient.connect(socketPath, 10_000);
  const conn = await firstConnection();
  await conn.handshake();
  const client = await clientPromise;
  clients.push(client);
  return { client, conn };
}

describe('QmpClient', () => {
  it('greets, negotiates capabilities and resolves a command with its return value', async () => {
    const { client, conn } = await connected();
    const pending = client.execute<{ status: string; running: boolean }>('query-status');
    const command = await conn.next();
    expect(command).toEqual({ execute: 'query-status', id: command.id });
    await conn.line(
      `{"return": {"status": "running", "singlestep": false, "running": true}, "id": "${command.id}"}`,
    );
    expect(await pending).toEqual({ status: 'running', singlestep: false, running: true });
  });

  it('sends arguments with the command', async () => {
    const { client, conn } = await connected();
    const pending = client.execute('screendump', { filename: '/tmp/x.png', format: 'png' });
    const command = await conn.next();
    expect(command).toEqual({
      execute: 'screendump',
      arguments: { filename: '/tmp/x.png', format: 'png' },
      id: command.id,
    });
    await conn.line(`{"return": {}, "id": "${command.id}"}`);
    expect(await pending).toEqual({});
  });

  it("rejects an error reply with QEMU_FAILED and QEMU's description", async () => {
    const { client, conn } = await connected();
    const pending = client.execute('blockdev-del', { 'node-name': 'nope' });
    const command = await conn.next();
    await conn.line(
      `{"error": {"class": "GenericError", "desc": "Failed to find node with node-name='nope'"}, "id": "${command.id}"}`,
    );
    const error = await rejection(pending);
    expect(error.code).toBe('QEMU_FAILED');
    expect(error.message).toContain("Failed to find node with node-name='nope'");
    expect(error.details).toEqual({ class: 'GenericError' });
  });

  it('emits asynchronous events', async () => {
    const { client, conn } = await connected();
    const seen: QmpEvent[] = [];
    const two = new Promise<void>((resolve) =>
      client.on('event', (e) => {
        seen.push(e);
        if (seen.length === 2) resolve();
      }),
    );
    await conn.line('{"timestamp": {"seconds": 1718000000, "microseconds": 123456}, "event": "STOP"}');
    await conn.line(
      '{"timestamp": {"seconds": 1718000001, "microseconds": 7}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}',
    );
    await two;
    expect(seen).toEqual([
      { timestamp: { seconds: 1718000000, microseconds: 123456 }, event: 'STOP' },
      {
        timestamp: { seconds: 1718000001, microseconds: 7 },
        event: 'SHUTDOWN',
        data: { guest: true, reason: 'guest-shutdown' },
      },
    ]);
  });

  it('reassembles a line split across chunks, even inside a UTF-8 character', async () => {
    const clientPromise = QmpClient.connect(socketPath, 10_000);
    const conn = await firstConnection();
    // The greeting in three pieces.
    await conn.write(GREETING.slice(0, 10));
    await new Promise((r) => setTimeout(r, 10));
    await conn.write(GREETING.slice(10, 60));
    await new Promise((r) => setTimeout(r, 10));
    await conn.write(GREETING.slice(60) + '\n');
    const caps = await conn.next();
    await conn.line(`{"return": {}, "id": "${caps.id}"}`);
    const client = await clientPromise;
    clients.push(client);

    const pending = client.execute('human-monitor-command', { 'command-line': 'info name' });
    const command = await conn.next();
    const reply = Buffer.from(`{"return": "café\\r\\n", "id": "${command.id}"}\n`, 'utf8');
    const inside = reply.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of "é"
    await conn.write(reply.subarray(0, inside));
    await new Promise((r) => setTimeout(r, 10));
    await conn.write(reply.subarray(inside));
    expect(await pending).toBe('café\r\n');
  });

  it('handles several lines arriving in one chunk', async () => {
    const { client, conn } = await connected();
    const events: string[] = [];
    client.on('event', (e) => events.push(e.event));
    const pending = client.execute('query-status');
    const command = await conn.next();
    await conn.write(
      '{"timestamp": {"seconds": 1, "microseconds": 0}, "event": "STOP"}\n' +
        `{"return": {"status": "paused", "singlestep": false, "running": false}, "id": "${command.id}"}\n` +
        '{"timestamp": {"seconds": 2, "microseconds": 0}, "event": "RESUME"}\n',
    );
    expect(await pending).toEqual({ status: 'paused', singlestep: false, running: false });
    // Events before and after the reply in the same chunk are both delivered, in order.
    await expect.poll(() => events).toEqual(['STOP', 'RESUME']);
  });

  it('matches replies that arrive out of order by id', async () => {
    const { client, conn } = await connected();
    const first = client.execute('query-name');
    const second = client.execute('query-kvm');
    const a = await conn.next();
    const b = await conn.next();
    expect(a.execute).toBe('query-name');
    expect(b.execute).toBe('query-kvm');
    expect(a.id).not.toBe(b.id);
    await conn.write(
      `{"return": {"enabled": false, "present": false}, "id": "${b.id}"}\n` +
        `{"return": {"name": "vm1"}, "id": "${a.id}"}\n`,
    );
    expect(await second).toEqual({ enabled: false, present: false });
    expect(await first).toEqual({ name: 'vm1' });
  });

  it('ignores replies with unknown ids and lines that are not JSON', async () => {
    const { client, conn } = await connected();
    const pending = client.execute('query-name');
    const command = await conn.next();
    await conn.write(
      'garbage that is not json\n' +
        '{"return": {"name": "stray"}, "id": "zzz"}\n' +
        `{"return": {"name": "vm1"}, "id": "${command.id}"}\n`,
    );
    expect(await pending).toEqual({ name: 'vm1' });
  });

  it("rejects pending commands with UNAVAILABLE and emits 'close' when the socket closes", async () => {
    const { client, conn } = await connected();
    let closes = 0;
    const closed = new Promise<void>((resolve) =>
      client.on('close', () => {
        closes++;
        resolve();
      }),
    );
    const a = client.execute('system_powerdown');
    const b = client.execute('query-status');
    await conn.next();
    await conn.next();
    conn.socket.destroy();
    const [ea, eb] = await Promise.all([rejection(a), rejection(b)]);
    expect(ea.code).toBe('UNAVAILABLE');
    expect(eb.code).toBe('UNAVAILABLE');
    await closed;
    expect(closes).toBe(1);
    expect(client.isClosed).toBe(true);
  });

  it('times out with TIMEOUT when the server never greets, and hangs up', async () => {
    const clientPromise = QmpClient.connect(socketPath, 100);
    const conn = await firstConnection();
    const error = await rejection(clientPromise);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain(socketPath);
    await conn.closed;
  });

  it('times out with TIMEOUT when the server greets but never answers qmp_capabilities', async () => {
    const clientPromise = QmpClient.connect(socketPath, 200);
    const conn = await firstConnection();
    await conn.line(GREETING);
    expect((await conn.next()).execute).toBe('qmp_capabilities');
    // A hung QEMU: no answer. connect() must still give up within its timeout.
    const error = await rejection(clientPromise);
    expect(error.code).toBe('TIMEOUT');
    await conn.closed;
  }, 5_000);

  it('fails with UNAVAILABLE when the server hangs up before greeting', async () => {
    const clientPromise = QmpClient.connect(socketPath, 30_000);
    const conn = await firstConnection();
    conn.socket.destroy();
    // A closed socket can never greet: connect() should fail at once, not after the timeout.
    const error = await rejection(clientPromise);
    expect(error.code).toBe('UNAVAILABLE');
  }, 5_000);

  it('rejects connect when nothing listens at the path', async () => {
    await expect(QmpClient.connect(path.join(dir, 'absent.sock'), 1000)).rejects.toThrow(/ENOENT/);
  });

  it('rejects execute after the client closed the connection', async () => {
    const { client, conn } = await connected();
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    client.close();
    // Right after close(), before the socket has reported it.
    const early = await rejection(client.execute('query-status'));
    expect(early.code).toBe('UNAVAILABLE');
    await closed;
    expect(client.isClosed).toBe(true);
    const late = await rejection(client.execute('query-status'));
    expect(late.code).toBe('UNAVAILABLE');
    await conn.closed;
  });

  it('rejects execute after the server closed the connection', async () => {
    const { client, conn } = await connected();
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    conn.socket.destroy();
    await closed;
    const error = await rejection(client.execute('cont'));
    expect(error.code).toBe('UNAVAILABLE');
  });
});
