// The `tessera serve` front as a second local user would attack it (issue 18 part 1, issue 14.5):
// with what leaks to any other port on 127.0.0.1 (the session cookie), what any non-browser client
// can forge (Origin, Host), the port, and the launch link once it was used. A real backend and
// real sockets; the terminal it guards is the user's shell.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/shared/client';
import { createBackend, type Backend } from '../../src/main/backend';
import { localLink } from '../../src/main/server/backend-link';
import { createFrontServer, type FrontServer } from '../../src/main/server/front-server';
import { createWsTransport } from '../../src/main/server/ws-transport';
import { WebSessions } from '../../src/main/server/web-sessions';
import {
  RPC_PROTOCOL,
  SESSION_CHECK_PATH,
  SESSION_EXCHANGE_PATH,
  SESSION_HANDOFF_PATH,
  SESSION_HEADER,
  SESSION_PROTOCOL_PREFIX,
  sessionCookieName,
} from '../../src/shared/web-session';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { openConsoleSocket } from '../support/console-socket';
import { openSessionRpc, signIn, type WebSessionCredentials } from '../support/web-session';

interface Instance {
  front: FrontServer;
  sessions: WebSessions;
  port: number;
}

let home: TempHome;
let backend: Backend;
let a: Instance;
let b: Instance;

async function startInstance(): Promise<Instance> {
  let port = 0;
  const sessions = new WebSessions();
  const front = createFrontServer({
    link: localLink(backend),
    access: { kind: 'loopback', sessions, port: () => port },
  });
  await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
  port = (front.server.address() as AddressInfo).port;
  return { front, sessions, port };
}

beforeAll(async () => {
  home = makeTempHome('tessera-websec-');
  backend = await createBackend({ paths: home.paths, accelerator: 'tcg', validateOutputs: true });
  a = await startInstance();
  b = await startInstance();
});

afterAll(async () => {
  await a?.front.close();
  await b?.front.close();
  await backend?.close();
  home?.cleanup();
});

/** One HTTP request written by hand, so headers can be doubled as an attacker would; the status. */
function rawRequest(port: number, lines: string[], body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status?.[1]) {
        resolve(Number(status[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`no status: ${JSON.stringify(answer)}`)));
    const length = body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [];
    socket.write([...lines, ...length, 'Connection: close', '', body].join('\r\n'));
  });
}

/** A WebSocket upgrade written by hand; `extra` lines come after the required ones. */
function rawUpgrade(port: number, path: string, extra: string[]): Promise<number> {
  return rawRequest(port, [
    `GET ${path} HTTP/1.1`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
  ]);
}

function post(port: number, path: string, headers: Record<string, string>, body?: unknown) {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

function cookieValue(session: WebSessionCredentials): string {
  return session.cookie.slice(session.cookie.indexOf('=') + 1);
}

describe('a second local user with the cookie, the Origin, the port and a used launch link', () => {
  it('cannot reach the RPC, a host terminal, or a new session', async () => {
    const launch = a.sessions.issueLaunch();
    const victim = await signIn(a.port, launch);
    // The victim's page works: its RPC answers and hands it a host terminal.
    const page = createClient(createWsTransport(await openSessionRpc(victim)));
    const grant = await page.call('terminal.open', { kind: 'host' });
    expect(grant.path).toMatch(/^\/console\//);

    // What the attacker has: the cookie (sent to every port of 127.0.0.1), a forged Origin and Host.
    const stolen = { Cookie: victim.cookie, Origin: victim.origin };
    // The used launch link buys nothing.
    expect((await post(a.port, SESSION_EXCHANGE_PATH, { Origin: victim.origin }, { launch })).status).toBe(
      403,
    );
    // The RPC: with the cookie alone, with the cookie offered as the secret, with a made-up secret.
    for (const protocols of [
      [],
      [RPC_PROTOCOL],
      [RPC_PROTOCOL, `${SESSION_PROTOCOL_PREFIX}${cookieValue(victim)}`],
      [RPC_PROTOCOL, `${SESSION_PROTOCOL_PREFIX}${'A'.repeat(43)}`],
    ]) {
      await expect(openSessionRpc(victim, { protocols, headers: stolen })).rejects.toThrow('HTTP 403');
    }
    // The session endpoints want the secret too: no hand-off token, no renewal.
    for (const path of [SESSION_HANDOFF_PATH, SESSION_CHECK_PATH]) {
      expect((await post(a.port, path, stolen)).status).toBe(401);
      expect((await post(a.port, path, { ...stolen, [SESSION_HEADER]: cookieValue(victim) })).status).toBe(
        401,
      );
    }
    // A terminal token the backend handed out elsewhere (not over this session's RPC) opens nothing here.
    const elsewhere = await backend.dispatcher.dispatch('terminal.open', { kind: 'host' });
    if (!elsewhere.ok) throw new Error('no grant');
    const { path } = elsewhere.value as { path: string };
    await expect(openConsoleSocket(`ws://127.0.0.1:${a.port}${path}`, stolen)).rejects.toThrow('HTTP 403');
    // The victim's own terminal, once the page used it, cannot be opened again.
    const term = await openConsoleSocket(`ws://127.0.0.1:${a.port}${grant.path}`, stolen);
    term.ws.close();
    await expect(openConsoleSocket(`ws://127.0.0.1:${a.port}${grant.path}`, stolen)).rejects.toThrow(
      'HTTP 403',
    );
    page.close();
  });

  it('a secret read from the victim (say, from a stale tab) is useless without the cookie', async () => {
    const victim = await signIn(a.port, a.sessions.issueLaunch());
    await expect(openSessionRpc(victim, { headers: { Origin: victim.origin } })).rejects.toThrow('HTTP 403');
    const page = await openSessionRpc(victim);
    page.close();
  });
});

describe('the loopback front refuses what is ambiguous or foreign (issue 14.5)', () => {
  it('a doubled or foreign Host, a doubled or foreign Origin, a doubled cookie', async () => {
    const victim = await signIn(a.port, a.sessions.issueLaunch());
    const host = `Host: 127.0.0.1:${a.port}`;
    const origin = `Origin: ${victim.origin}`;
    const secret = `Sec-WebSocket-Protocol: ${RPC_PROTOCOL}, ${SESSION_PROTOCOL_PREFIX}${victim.secret}`;
    const cookie = `Cookie: ${victim.cookie}`;
    // The control: exactly these lines open the RPC.
    expect(await rawUpgrade(a.port, '/rpc', [host, origin, secret, cookie])).toBe(101);
    const refusals: string[][] = [
      [host, 'Host: attacker.example', origin, secret, cookie],
      [`Host: attacker.example:${a.port}`, origin, secret, cookie], // DNS rebinding
      [host, origin, 'Origin: http://attacker.example', secret, cookie],
      [host, `Origin: http://127.0.0.1:${b.port}`, secret, cookie], // another instance's page
      [host, origin, secret, `Cookie: ${victim.cookie}; ${sessionCookieName(a.port)}=forged`],
      [host, origin, secret, cookie, `Cookie: ${sessionCookieName(a.port)}=forged`],
      [host, origin, secret, cookie, `Sec-WebSocket-Protocol: ${SESSION_PROTOCOL_PREFIX}${'B'.repeat(43)}`],
    ];
    for (const lines of refusals)
      expect(await rawUpgrade(a.port, '/rpc', lines), lines.join(' | ')).toBe(403);
    // Pages and session requests need one loopback Host too; session requests our Origin.
    expect(await rawRequest(a.port, ['GET / HTTP/1.1', host, 'Host: attacker.example'])).toBe(403);
    expect(await rawRequest(a.port, ['GET / HTTP/1.1', `Host: rebound.example:${a.port}`])).toBe(403);
    const launch = JSON.stringify({ launch: a.sessions.issueLaunch() });
    const exchange = (lines: string[]) =>
      rawRequest(
        a.port,
        [`POST ${SESSION_EXCHANGE_PATH} HTTP/1.1`, host, 'Content-Type: application/json', ...lines],
        launch,
      );
    expect(await exchange(['Origin: http://attacker.example'])).toBe(403);
    expect(await exchange([origin, origin])).toBe(403);
    expect(await exchange([])).toBe(403);
    expect(await exchange([origin])).toBe(200); // not spent by the refusals above
  });

  it('the launch token works once and expires; the cookie is HttpOnly, SameSite=Strict, Path=/, named for the port', async () => {
    const c = { t: Date.now() };
    const sessions = new WebSessions({ launchTtlMs: 1000 }, () => c.t);
    let port = 0;
    const front = createFrontServer({
      link: localLink(backend),
      access: { kind: 'loopback', sessions, port: () => port },
    });
    await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
    port = (front.server.address() as AddressInfo).port;
    try {
      const origin = `http://127.0.0.1:${port}`;
      const launch = sessions.issueLaunch();
      const first = await post(port, SESSION_EXCHANGE_PATH, { Origin: origin }, { launch });
      expect(first.status).toBe(200);
      expect(first.headers.get('set-cookie')).toMatch(
        new RegExp(`^${sessionCookieName(port)}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`),
      );
      expect((await post(port, SESSION_EXCHANGE_PATH, { Origin: origin }, { launch })).status).toBe(403);
      const late = sessions.issueLaunch();
      c.t += 1001;
      expect((await post(port, SESSION_EXCHANGE_PATH, { Origin: origin }, { launch: late })).status).toBe(
        403,
      );
    } finally {
      await front.close();
    }
  });
});

describe('sessions belong to the instance that made them', () => {
  it('two instances side by side both work, and neither takes the other one’s session', async () => {
    const onA = await signIn(a.port, a.sessions.issueLaunch());
    const onB = await signIn(b.port, b.sessions.issueLaunch());
    expect(onA.cookie.split('=')[0]).not.toBe(onB.cookie.split('=')[0]);
    // Both cookies reach both ports (cookies ignore ports), as a browser would send them.
    const both = `${onA.cookie}; ${onB.cookie}`;
    const rpcA = await openSessionRpc(onA, { headers: { Cookie: both, Origin: onA.origin } });
    const rpcB = await openSessionRpc(onB, { headers: { Cookie: both, Origin: onB.origin } });
    // A's secret and cookie, replayed at B with B's Origin, open nothing there.
    await expect(
      openSessionRpc({ ...onA, port: b.port }, { headers: { Cookie: both, Origin: onB.origin } }),
    ).rejects.toThrow('HTTP 403');
    expect((await createClient(createWsTransport(rpcA)).call('host.info', {})).accelerator).toBe('tcg');
    expect((await createClient(createWsTransport(rpcB)).call('host.info', {})).accelerator).toBe('tcg');
    rpcA.close();
    rpcB.close();
  });

  it('revoking ends open pages and every later try; a fresh link works again', async () => {
    const victim = await signIn(a.port, a.sessions.issueLaunch());
    const rpc = await openSessionRpc(victim);
    const closed = new Promise<void>((resolve) => rpc.once('close', () => resolve()));
    const unused = a.sessions.issueLaunch();
    expect(a.sessions.revokeAll()).toBeGreaterThanOrEqual(1);
    await closed;
    expect(rpc.readyState).toBe(WebSocket.CLOSED);
    await expect(openSessionRpc(victim)).rejects.toThrow('HTTP 403');
    expect(
      (
        await post(a.port, SESSION_CHECK_PATH, {
          Cookie: victim.cookie,
          Origin: victim.origin,
          [SESSION_HEADER]: victim.secret,
        })
      ).status,
    ).toBe(401);
    await expect(signIn(a.port, unused)).rejects.toThrow('HTTP 403');
    const again = await signIn(a.port, a.sessions.issueLaunch());
    (await openSessionRpc(again)).close();
  });

  it('a restart on the same port ends every session of the instance before', async () => {
    let port = 0;
    const start = async (sessions: WebSessions, at: number) => {
      const front = createFrontServer({
        link: localLink(backend),
        access: { kind: 'loopback', sessions, port: () => port },
      });
      await new Promise<void>((r) => front.server.listen(at, '127.0.0.1', r));
      port = (front.server.address() as AddressInfo).port;
      return front;
    };
    const before = new WebSessions();
    const first = await start(before, 0);
    const old = await signIn(port, before.issueLaunch());
    (await openSessionRpc(old)).close();
    await first.close();
    const after = new WebSessions();
    const second = await start(after, port);
    try {
      await expect(openSessionRpc(old)).rejects.toThrow('HTTP 403');
      (await openSessionRpc(await signIn(port, after.issueLaunch()))).close();
    } finally {
      await second.close();
    }
  });

  it('a tab hands a new tab a one-time token that buys it a session of its own', async () => {
    const first = await signIn(a.port, a.sessions.issueLaunch());
    const handed = await post(a.port, SESSION_HANDOFF_PATH, {
      Cookie: first.cookie,
      Origin: first.origin,
      [SESSION_HEADER]: first.secret,
    });
    expect(handed.status).toBe(200);
    const { launch } = (await handed.json()) as { launch: string };
    const second = await signIn(a.port, launch);
    expect(second.secret).not.toBe(first.secret);
    await expect(signIn(a.port, launch)).rejects.toThrow('HTTP 403');
    (await openSessionRpc(second)).close();
  });
});
