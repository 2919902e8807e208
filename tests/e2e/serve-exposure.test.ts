// `tessera serve` as exposed to other local users (issue 14.5, issue 18 part 1): where it
// listens, and what a second Unix user's server on another loopback port gets when the user's
// Chromium, signed in to Tessera, visits it, and what that gets the attacker.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { requireBuiltRenderer } from '../support/browser';
import { runCli, stopProcess } from '../support/cli-process';
import { SESSION_STORAGE_KEY, sessionCookieName } from '../../src/shared/web-session';
import { GalleryPage } from './gallery-page';
import { closeUiSession, openUiSession, screenshotOnFailure, type UiSession } from './ui-session';

let home: TempHome;
let session: Partial<UiSession> = {};

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome('tessera-expo-');
  expect((await runCli(['vm', 'create', 'probe', '--memory', '128'], home.env)).stderr).toBe('');
  session = await openUiSession(home);
  await new GalleryPage((session as UiSession).browser.page).card('probe').waitFor();
});

afterEach((context) => screenshotOnFailure(session, 'serve-exposure', context.task));
afterAll(() => closeUiSession(session, home));

const port = () => Number(new URL((session as UiSession).origin).port);

/** Listening TCP sockets on a port, as `/proc/net/tcp{,6}` lists them: local addresses in hex. */
function listenersOn(p: number): string[] {
  const hexPort = p.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') // 0A: TCP_LISTEN
      .map((f) => f[1] as string),
  );
}

describe('where tessera serve listens', () => {
  it('on 127.0.0.1 only: no other address, no IPv6 wildcard', () => {
    // 0100007F is 127.0.0.1 in the kernel's little-endian hex.
    expect(listenersOn(port())).toEqual([`0100007F:${port().toString(16).toUpperCase().padStart(4, '0')}`]);
  });
});

/**
 * The second user's side, as a plain script it runs itself: an HTTP server that logs every
 * request, serves a page that tries the victim's port from the victim's own browser, and, with
 * whatever it received, tries the victim's backend as any non-browser client can.
 */
const ATTACKER = String.raw`
const http = require('node:http');
const net = require('node:net');
const [victimPort, usedLink] = process.argv.slice(2);
const victim = 'http://127.0.0.1:' + victimPort;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const upgrade = (headers) => new Promise((resolve) => {
  const s = net.connect(Number(victimPort), '127.0.0.1');
  let answer = '';
  s.on('data', (c) => { answer += c; const m = /^HTTP\/1\.1 (\d{3})/.exec(answer); if (m) { resolve(Number(m[1])); s.destroy(); } });
  s.on('error', () => resolve(-1));
  s.on('close', () => resolve(-1));
  s.write(['GET /rpc HTTP/1.1', 'Host: 127.0.0.1:' + victimPort, 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers, '', ''].join('\r\n'));
});
const post = async (path, headers, body) =>
  (await fetch(victim + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body })).status;
async function attack(cookie) {
  const origin = 'Origin: ' + victim;
  const cookieValue = cookie.split(';').map((p) => p.trim()).find((p) => p.startsWith('tessera_session'))?.split('=')[1] ?? '';
  const launch = new URL(usedLink).hash.slice('#token='.length);
  out({ attack: {
    exchangeUsedLink: await post('/session', { Origin: victim }, JSON.stringify({ launch })),
    rpcWithCookie: await upgrade([origin, 'Cookie: ' + cookie]),
    rpcWithCookieAsSecret: await upgrade([origin, 'Cookie: ' + cookie, 'Sec-WebSocket-Protocol: tessera.rpc, tessera.session.' + cookieValue]),
    handoffWithCookie: await post('/session/handoff', { Origin: victim, Cookie: cookie }),
    handoffWithCookieAsSecret: await post('/session/handoff', { Origin: victim, Cookie: cookie, 'X-Tessera-Session': cookieValue }),
  } });
}
const page = '<!doctype html><title>not Tessera</title><script>' +
  'const r = {};' +
  'const ws = new WebSocket("ws://127.0.0.1:' + victimPort + '/rpc");' +
  'ws.onopen = () => { r.ws = "open"; };' +
  'ws.onclose = async () => { r.ws ??= "refused";' +
  '  try { const f = await fetch("' + victim + '/session/handoff", { method: "POST", credentials: "include" }); r.fetch = "read " + f.status; }' +
  '  catch { r.fetch = "blocked"; }' +
  '  await fetch("/report", { method: "POST", body: JSON.stringify(r) }); };' +
  '</script>';
let attacked = false;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    out({ request: { method: req.method, url: req.url, headers: req.headers, body } });
    if (req.url === '/report') out({ report: JSON.parse(body) });
    if (req.headers.cookie && !attacked) { attacked = true; void attack(req.headers.cookie); }
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(req.url === '/' ? page : '');
  });
});
server.listen(0, '127.0.0.1', () => out({ port: server.address().port }));
`;

interface AttackerLog {
  port?: number;
  request?: { method: string; url: string; headers: Record<string, string>; body: string };
  report?: { ws?: string; fetch?: string };
  attack?: Record<string, number>;
}

const isRoot = process.getuid?.() === 0;

describe('a second local user on another loopback port', () => {
  let user: string | undefined;
  let dir: string | undefined;
  let attacker: ChildProcess | undefined;

  afterAll(async () => {
    if (attacker) await stopProcess(attacker);
    if (user) execFileSync('userdel', [user]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!isRoot)(
    'receives the cookie from the user’s Chromium and nothing that opens the backend (runs as a throw-away user, so needs root)',
    async () => {
      const ui = session as UiSession;
      // The attacker: a real second Unix user, made for this test and removed after it.
      user = `tessatk${randomBytes(3).toString('hex')}`;
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-attacker-'));
      fs.chmodSync(dir, 0o755);
      const script = path.join(dir, 'attacker.cjs');
      fs.writeFileSync(script, ATTACKER, { mode: 0o644 });
      const usedLink = ui.serve.url; // openUiSession spent it
      attacker = spawn(process.execPath, [script, String(port()), usedLink], {
        uid,
        gid,
        cwd: dir,
        env: { PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const log: AttackerLog[] = [];
      let buffered = '';
      attacker.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line) log.push(JSON.parse(line) as AttackerLog);
      });
      await expect.poll(() => log.find((l) => l.port)?.port, { timeout: 20_000 }).toBeDefined();
      const attackerPort = log.find((l) => l.port)?.port as number;

      // The user, signed in to Tessera, types the other address into a new tab of the same browser.
      const secret = await ui.browser.page.evaluate<string | null>(
        `sessionStorage.getItem(${JSON.stringify(SESSION_STORAGE_KEY)})`,
      );
      expect(secret).toBeTruthy();
      const tab = await ui.browser.context.newPage();
      await tab.goto(`http://127.0.0.1:${attackerPort}/`);
      await expect.poll(() => log.find((l) => l.report)?.report, { timeout: 30_000 }).toBeDefined();
      await expect.poll(() => log.find((l) => l.attack)?.attack, { timeout: 30_000 }).toBeDefined();
      await tab.close();

      const requests = log.flatMap((l) => (l.request ? [l.request] : []));
      // What cookies are: not isolated by port (RFC 6265 §8.5), so the cookie does reach this port...
      expect(requests.some((r) => r.headers.cookie?.includes(`${sessionCookieName(port())}=`))).toBe(true);
      // ...but the tab's secret never does, in any header, URL or body.
      expect(JSON.stringify(requests)).not.toContain(secret as string);
      // From the user's browser, the attacker's page cannot open the RPC nor read a session answer.
      expect(log.find((l) => l.report)?.report).toEqual({ ws: 'refused', fetch: 'blocked' });
      // With the cookie, a forged Origin, the port and the used link, as a plain client: nothing.
      expect(log.find((l) => l.attack)?.attack).toEqual({
        exchangeUsedLink: 403,
        rpcWithCookie: 403,
        rpcWithCookieAsSecret: 403,
        handoffWithCookie: 401,
        handoffWithCookieAsSecret: 401,
      });
      // And the user's own tab still works.
      await ui.browser.page.reload();
      await new GalleryPage(ui.browser.page).card('probe').waitFor();
    },
  );
});
