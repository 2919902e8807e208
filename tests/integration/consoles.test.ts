// The console bridges end to end: a real backend, real QEMU guests, the loopback front server
// (directly, and relaying to a backend that owns the control socket), real WebSockets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/shared/client';
import { createMemoryTransportPair } from '../../src/shared/memory-transport';
import { serveTransport } from '../../src/main/rpc/dispatcher';
import {
  connectRemoteLink,
  controlSocketPath,
  openBackendLink,
  type BackendLink,
} from '../../src/main/server/backend-link';
import { createFrontServer, type FrontServer } from '../../src/main/server/front-server';
import { serveConsoleBase } from '../../src/main/app/console-base';
import { APP_ORIGIN, isAppUrl } from '../../src/main/app/app-protocol';
import { createValidatedIpc } from '../../src/main/rpc/validated-ipc';
import { fakeContents, fakeIpcMain, ipcEvent } from '../support/fake-ipc';
import { CONSOLE_BASE_CHANNEL } from '../../src/shared/desktop-bridge';
import { decodePng } from '../../src/main/console/png';
import { GUEST_READY_MARKER, buildTinyGuest, type TinyGuest, tinyVmInput } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { openConsoleSocket, type ConsoleSocket } from '../support/console-socket';
import { WebSessions } from '../../src/main/server/web-sessions';
import { createWsTransport } from '../../src/main/server/ws-transport';
import { openSessionRpc, signIn } from '../support/web-session';

interface Front {
  server: FrontServer;
  port: number;
  headers: Record<string, string>;
  /** The signed-in page's RPC: console tokens open a bridge only on the front whose session got them. */
  rpc: Client;
}

let home: TempHome;
let guest: TinyGuest;
let owner: BackendLink;
let relay: BackendLink;
let client: Client;
/** The front of the backend's own process, and one relaying to it as `tessera serve` would. */
let direct: Front;
let relayed: Front;
async function startFront(link: BackendLink): Promise<Front> {
  let port = 0;
  const sessions = new WebSessions();
  const server = createFrontServer({ link, access: { kind: 'loopback', sessions, port: () => port } });
  await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as AddressInfo).port;
  const session = await signIn(port, sessions.issueLaunch());
  const rpc = createClient(createWsTransport(await openSessionRpc(session)));
  return { server, port, headers: { Cookie: session.cookie, Origin: session.origin }, rpc };
}

function connect(front: Front, grant: { path: string }, protocols: string[] = []): Promise<ConsoleSocket> {
  return openConsoleSocket(`ws://127.0.0.1:${front.port}${grant.path}`, front.headers, protocols);
}

const tiny = (name: string, extra: Record<string, unknown> = {}) => tinyVmInput(guest, name, 128, extra);

async function startReady(id: string): Promise<void> {
  await client.call('vm.start', { id });
  await client.call('vm.waitSerial', { id, text: GUEST_READY_MARKER, timeoutSeconds: 60 });
}

beforeAll(async () => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-con-');
  owner = await openBackendLink({ paths: home.paths, accelerator: 'tcg', validateOutputs: true });
  relay = await connectRemoteLink(controlSocketPath(home.paths.runtimeDir));
  const [a, b] = createMemoryTransportPair();
  serveTransport(b, owner.dispatcher, owner.events);
  client = createClient(a);
  direct = await startFront(owner);
  relayed = await startFront(relay);
  await client.call('vm.create', tiny('alpha'));
  await client.call('vm.create', tiny('beta'));
  await client.call('vm.create', tiny('gamma', { display: { kind: 'spice' } }));
  await Promise.all(['alpha', 'beta', 'gamma'].map(startReady));
});

afterAll(async () => {
  killVms(home.paths);
  direct?.rpc.close();
  relayed?.rpc.close();
  await direct?.server.close();
  await relayed?.server.close();
  await relay?.close();
  await owner?.close();
  home.cleanup();
});

/** The RFB handshake up to ServerInit, whose last field is the desktop name: QEMU's -name. */
async function rfbDesktopName(socket: ConsoleSocket): Promise<string> {
  expect((await socket.read(12)).toString('latin1')).toBe('RFB 003.008\n');
  socket.send('RFB 003.008\n');
  const count = (await socket.read(1)).readUInt8(0);
  const types = [...(await socket.read(count))];
  expect(types).toContain(1); // None: the socket's directory and the bridge's token are the access control
  socket.send(Buffer.from([1]));
  expect((await socket.read(4)).readUInt32BE(0)).toBe(0);
  socket.send(Buffer.from([1])); // ClientInit, shared
  const init = await socket.read(24);
  return (await socket.read(init.readUInt32BE(20))).toString('utf8');
}

/** A SPICE link request for one channel; the server answers with its own "REDQ" link reply. */
function spiceLink(channelType: number): Buffer {
  const message = Buffer.alloc(18);
  message.writeUInt8(channelType, 4);
  message.writeUInt32LE(18, 14); // caps offset: no capabilities follow
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(message.length, 12);
  return Buffer.concat([header, message]);
}

describe.each([
  ['directly', () => direct],
  ['through a relaying front', () => relayed],
])('graphical consoles %s', (_how, front) => {
  it('the VNC bridge speaks RFB, and a token for VM A opens VM A only', async () => {
    for (const id of ['alpha', 'beta']) {
      const socket = await connect(front(), await front().rpc.call('console.open', { id, kind: 'vnc' }), [
        'binary',
      ]);
      expect(socket.ws.protocol).toBe('binary');
      expect(await rfbDesktopName(socket)).toBe(`QEMU (${id})`);
      socket.ws.close();
    }
  });

  it('the SPICE bridge speaks SPICE, on every channel of one session', async () => {
    const grant = await front().rpc.call('console.open', { id: 'gamma', kind: 'spice' });
    const main = await connect(front(), grant, ['binary']);
    main.send(spiceLink(1));
    expect((await main.read(4)).toString('latin1')).toBe('REDQ');
    const display = await connect(front(), grant, ['binary']);
    display.send(spiceLink(2));
    expect((await display.read(4)).toString('latin1')).toBe('REDQ');
    main.ws.close();
    display.ws.close();
  });
});

describe('tokens', () => {
  it('a spent token gets a bare 403', async () => {
    const grant = await direct.rpc.call('console.open', { id: 'alpha', kind: 'vnc' });
    const first = await connect(direct, grant);
    await expect(connect(direct, grant)).rejects.toThrow('HTTP 403');
    await expect(connect(relayed, grant)).rejects.toThrow('HTTP 403');
    first.ws.close();
  });

  it("a SPICE token admits its session's channels and then no more", async () => {
    const grant = await direct.rpc.call('console.open', { id: 'gamma', kind: 'spice' });
    const open: ConsoleSocket[] = [];
    for (let i = 0; i < 8; i++) open.push(await connect(direct, grant));
    await expect(connect(direct, grant)).rejects.toThrow('HTTP 403');
    for (const s of open) s.ws.close();
  });

  it('the graphical console of the wrong kind is refused with the reason', async () => {
    await expect(client.call('console.open', { id: 'alpha', kind: 'spice' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: "VM 'alpha' shows its screen over VNC, not SPICE (display is 'vnc')",
    });
  });
});

describe('serial and monitor', () => {
  it('a late viewer sees the boot log, and typing reaches the guest', async () => {
    const serial = await connect(
      direct,
      await direct.rpc.call('console.open', { id: 'alpha', kind: 'serial' }),
    );
    await serial.waitFor(GUEST_READY_MARKER);
    const second = await connect(
      relayed,
      await relayed.rpc.call('console.open', { id: 'alpha', kind: 'serial' }),
    );
    await second.waitFor(GUEST_READY_MARKER);
    const from = serial.received().length;
    // The guest echoes what is typed; only the shell running it prints the joined word.
    serial.send('echo "hel""lo"\r');
    await serial.waitFor('\nhello\r', { from });
    // Every viewer sees what any of them typed, and what came of it.
    await second.waitFor('\nhello\r');
    serial.ws.close();
    second.ws.close();
  });

  it('the human monitor answers `info status`', async () => {
    const monitor = await connect(
      direct,
      await direct.rpc.call('console.open', { id: 'alpha', kind: 'monitor' }),
    );
    await monitor.waitFor('(qemu) ');
    monitor.send('info status\r');
    await monitor.waitFor('VM status: running');
    monitor.ws.close();
  });
});

describe('terminals', () => {
  it.each([
    ['directly', () => direct],
    ['through a relaying front', () => relayed],
  ])('a host terminal is a real pty that resizes (%s)', async (_how, front) => {
    const term = await connect(front(), await front().rpc.call('terminal.open', { kind: 'host' }));
    term.ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 40 }));
    term.send('echo "pty""-ok" $(stty size)\r');
    await term.waitFor('pty-ok 40 100');
    term.send('exit\r');
    expect(await term.closed).toMatchObject({
      code: 1000,
      reason: expect.stringMatching(/exited with code 0/),
    });
  });

  it('ssh into a VM without a forwarded SSH port is refused with what to do', async () => {
    await expect(client.call('terminal.open', { kind: 'ssh', id: 'alpha' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('add a forward such as 2222 → 22'),
    });
  });
});

describe('thumbnails', () => {
  it("show the booted guest's text, smaller, live", async () => {
    const thumb = await client.call('vm.thumbnail', { id: 'alpha', maxWidth: 320 });
    expect(thumb).toMatchObject({ width: 320, live: true });
    if (thumb.pngBase64 === null) throw new Error('no picture');
    const image = decodePng(Buffer.from(thumb.pngBase64, 'base64'));
    expect(image.height).toBe(thumb.height);
    // Text on a black console: more than one colour, and mostly background.
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length; i += 3) {
      colours.add(((image.data[i] ?? 0) << 16) | ((image.data[i + 1] ?? 0) << 8) | (image.data[i + 2] ?? 0));
    }
    expect(colours.size).toBeGreaterThan(1);
  });

  it("match QEMU's own screenshot pixel for pixel at full size", async () => {
    // The thumbnail comes from QEMU's PPM dump through our encoder; the screenshot is QEMU's PNG
    // (libpng, filters of its choosing) through our decoder. Paused, both see one frame.
    await client.call('vm.pause', { id: 'alpha' });
    try {
      const thumb = await client.call('vm.thumbnail', { id: 'alpha', maxWidth: 1920 });
      const shot = await client.call('vm.screenshot', { id: 'alpha' });
      if (thumb.pngBase64 === null) throw new Error('no picture');
      const ours = decodePng(Buffer.from(thumb.pngBase64, 'base64'));
      const qemus = decodePng(Buffer.from(shot.pngBase64, 'base64'));
      expect([ours.width, ours.height]).toEqual([shot.width, shot.height]);
      expect(Buffer.from(ours.data).equals(Buffer.from(qemus.data))).toBe(true);
    } finally {
      await client.call('vm.resume', { id: 'alpha' });
    }
  });
});

describe("the Electron window's console server", () => {
  it('lets in console WebSockets from the app origin with a token, and nothing else', async () => {
    const ipcMain = fakeIpcMain();
    const ipc = createValidatedIpc(ipcMain, { isAppUrl, warn: () => undefined });
    ipc.trust(fakeContents(1));
    const served = await serveConsoleBase(owner, ipc, { origin: APP_ORIGIN });
    try {
      const base = await ipcMain.invoke(CONSOLE_BASE_CHANNEL, ipcEvent(1, `${APP_ORIGIN}/index.html`));
      expect(base).toBe(served.base);
      await expect(
        ipcMain.invoke(CONSOLE_BASE_CHANNEL, ipcEvent(1, 'https://evil.example/')),
      ).rejects.toThrow('refused');

      const open = async (origin: string, path?: string) => {
        const grant = await client.call('console.open', { id: 'alpha', kind: 'vnc' });
        return openConsoleSocket(`${served.base}${path ?? grant.path}`, { Origin: origin });
      };
      const vnc = await open(APP_ORIGIN);
      expect((await vnc.read(12)).toString('latin1')).toBe('RFB 003.008\n');
      vnc.ws.close();
      await expect(open('http://127.0.0.1')).rejects.toThrow('HTTP 403');
      await expect(open(APP_ORIGIN, '/rpc')).rejects.toThrow('HTTP 404');
      const port = new URL(served.base).port;
      const page = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject),
      );
      expect(page.statusCode).toBe(404);
    } finally {
      await served.close();
    }
    expect(ipcMain.handled(CONSOLE_BASE_CHANNEL)).toBe(false);
  });
});

describe('a VM that stops', () => {
  it('ends every session of that VM, and only of that VM', async () => {
    const kinds = ['vnc', 'serial', 'monitor'] as const;
    const sessions = await Promise.all(
      kinds.map(async (kind) => connect(direct, await direct.rpc.call('console.open', { id: 'beta', kind }))),
    );
    const relayedSerial = await connect(
      relayed,
      await relayed.rpc.call('console.open', { id: 'beta', kind: 'serial' }),
    );
    const other = await connect(
      direct,
      await direct.rpc.call('console.open', { id: 'alpha', kind: 'serial' }),
    );
    await client.call('vm.kill', { id: 'beta' });
    for (const s of [...sessions, relayedSerial]) {
      expect(await s.closed).toEqual({ code: 1000, reason: 'VM stopped' });
    }
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    other.ws.close();
    await expect(client.call('console.open', { id: 'beta', kind: 'serial' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
  });
});
