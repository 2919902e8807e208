import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/shared/client';
import { createMemoryTransportPair } from '../../src/shared/memory-transport';
import { createBridgeTransport, IPC_CHANNEL, type PreloadBridge } from '../../src/shared/bridge-transport';
import type { Transport } from '../../src/shared/wire';
import { serveTransport } from '../../src/main/rpc/dispatcher';
import { createIpcMainTransport } from '../../src/main/rpc/ipc-transport';
import { createValidatedIpc } from '../../src/main/rpc/validated-ipc';
import { isAppUrl } from '../../src/main/app/app-protocol';
import { fakeContents, fakeIpcMain, ipcEvent } from '../support/fake-ipc';
import { createBackend, type Backend } from '../../src/main/backend';
import { localLink } from '../../src/main/server/backend-link';
import { createFrontServer, type FrontServer } from '../../src/main/server/front-server';
import { createWsTransport } from '../../src/main/server/ws-transport';
import { WebSessions } from '../../src/main/server/web-sessions';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { openSessionRpc, signIn, type WebSessionCredentials } from '../support/web-session';

let home: TempHome;
let backend: Backend;
let front: FrontServer;
let port: number;
const sessions = new WebSessions();

beforeAll(async () => {
  home = makeTempHome();
  backend = await createBackend({ paths: home.paths, accelerator: 'tcg', validateOutputs: true });
  front = createFrontServer({
    link: localLink(backend),
    access: { kind: 'loopback', sessions, port: () => port },
  });
  await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
  port = (front.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await front.close();
  await backend.close();
  home.cleanup();
});

function get(path: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, resolve).on('error', reject);
  });
}

let signedIn: WebSessionCredentials | undefined;
async function session(): Promise<WebSessionCredentials> {
  signedIn ??= await signIn(port, sessions.issueLaunch());
  return signedIn;
}

function openWs(path: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Three ways to reach one backend; each must behave the same. */
const transports: Record<string, () => Promise<Transport>> = {
  'in-memory pair': async () => {
    const [a, b] = createMemoryTransportPair();
    serveTransport(b, backend.dispatcher, backend.events);
    return a;
  },
  'WebSocket on loopback': async () => {
    return createWsTransport(await openSessionRpc(await session()));
  },
  'Electron IPC (ipcMain and preload bridge, faked)': async () => {
    // The same shapes Electron gives: ipcMain.on(channel, (event, msg)), webContents.send(channel, msg),
    // through the app's validated entry.
    const ipcMain = fakeIpcMain();
    const ipc = createValidatedIpc(ipcMain, { isAppUrl });
    const rendererSide = new EventEmitter();
    const contents = fakeContents(7, (channel, message) =>
      queueMicrotask(() => rendererSide.emit(channel, structuredClone(message))),
    );
    ipc.trust(contents);
    const main = createIpcMainTransport(ipc, contents);
    serveTransport(main, backend.dispatcher, backend.events);
    const event = ipcEvent(7, 'app://tessera/index.html');
    const bridge: PreloadBridge = {
      send: (message) => queueMicrotask(() => ipcMain.send(IPC_CHANNEL, event, structuredClone(message))),
      onMessage: (handler) => {
        const l = (m: unknown) => handler(m);
        rendererSide.on(IPC_CHANNEL, l);
        return () => rendererSide.off(IPC_CHANNEL, l);
      },
    };
    return createBridgeTransport(bridge);
  },
};

describe.each(Object.entries(transports))('the contract over %s', (name, open) => {
  let client: Client;
  const id = `t${Object.keys(transports).indexOf(name)}`;
  beforeAll(async () => {
    client = createClient(await open());
  });

  it('answers calls with validated values', async () => {
    const info = await client.call('host.info', {});
    expect(info).toMatchObject({
      accelerator: 'tcg',
      configDir: home.paths.configDir,
      backendPid: process.pid,
    });
  });

  it('delivers events and the results of calls', async () => {
    const events: string[] = [];
    const off = client.on('vm.changed', ({ vm }) => events.push(vm.id));
    const vm = await client.call('vm.create', { name: id, memoryMiB: 128 });
    expect(vm).toMatchObject({ id, state: 'stopped', spec: { memoryMiB: 128, cpus: 1 } });
    await expect.poll(() => events).toContain(id);
    off();
    expect((await client.call('vm.list', {})).vms.map((v) => v.id)).toContain(id);
  });

  it('rethrows errors with their code', async () => {
    await expect(client.call('vm.get', { id: 'ghost' })).rejects.toMatchObject({
      name: 'TesseraError',
      code: 'NOT_FOUND',
    });
    await expect(client.call('vm.create', { name: 'x', memoryMiB: 1 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });
});

describe('the loopback server lets in only its own page', () => {
  // More of this, as an attacker would try it, in serve-sessions.test.ts.
  it('refuses the RPC without the session secret, from another Origin, or for another Host', async () => {
    const own = await session();
    await expect(openWs('/rpc', { Cookie: own.cookie, Origin: own.origin })).rejects.toThrow('HTTP 403');
    await expect(
      openSessionRpc(own, { headers: { Cookie: own.cookie, Origin: 'http://evil.example' } }),
    ).rejects.toThrow('HTTP 403');
    await expect(openSessionRpc(own, { headers: { Cookie: own.cookie } })).rejects.toThrow('HTTP 403');
    expect((await get('/', { Host: `attacker.example:${port}` })).statusCode).toBe(403);
  });

  it('a console token that is wrong gets a 403 and nothing else', async () => {
    const own = await session();
    await expect(
      openWs('/console/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { Cookie: own.cookie, Origin: own.origin }),
    ).rejects.toThrow('HTTP 403');
  });
});
