import fsp from 'node:fs/promises';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { serveTransport } from '../rpc/dispatcher';
import { createWsTransport } from './ws-transport';
import { bridgeConsole } from './console-bridge';
import { CONTENT_SECURITY_POLICY } from './csp';
import { contentTypeFor, resolveStaticFile } from './static-files';
import type { BackendLink } from './backend-link';

/**
 * Who may talk to a front server.
 * - unix: the control socket; its 0700 dir and 0600 mode are the access control.
 * - loopback: `tessera serve` on 127.0.0.1; a one-time launch token buys a session cookie,
 *   and every request needs that cookie, a loopback Host (against DNS rebinding) and, for
 *   WebSockets, our own Origin (against cross-site WebSocket hijacking).
 * - consoles: console bridges only, on 127.0.0.1, for the Electron window, whose app:// page has
 *   no server of its own to open WebSockets on. No cookie can reach it (another site), so a
 *   console token (handed out over IPC) and the app's Origin are what let a WebSocket in;
 *   there is no RPC and no page here.
 */
export type FrontAccess =
  | { kind: 'unix' }
  | { kind: 'loopback'; launchToken: string; port: () => number }
  | { kind: 'consoles'; origin: string; port: () => number };

export interface FrontServerOptions {
  link: BackendLink;
  access: FrontAccess;
  /** Built renderer to serve (loopback only). */
  staticDir?: string;
}

export const SESSION_COOKIE = 'tessera_session';
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export interface FrontServer {
  readonly server: http.Server;
  /** Stop listening and drop every connection, WebSockets included. */
  close(): Promise<void>;
}

export function createFrontServer(options: FrontServerOptions): FrontServer {
  const { link, access } = options;
  let launchToken: string | undefined = access.kind === 'loopback' ? access.launchToken : undefined;
  const sessions = new Set<string>();
  const upgraded = new Set<Duplex>();
  const wss = new WebSocketServer({
    noServer: true,
    // noVNC asks for the 'binary' subprotocol; RPC asks for none.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  const allowedHosts = () => {
    if (access.kind === 'unix') return [];
    const port = access.port();
    return [`127.0.0.1:${port}`, `localhost:${port}`];
  };
  const hostAllowed = (req: http.IncomingMessage) =>
    access.kind === 'unix' || allowedHosts().includes(req.headers.host ?? '');
  const hasSession = (req: http.IncomingMessage) => {
    if (access.kind === 'unix') return true;
    if (access.kind === 'consoles') return false;
    const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return value !== undefined && [...sessions].some((s) => sameSecret(s, value));
  };
  const originAllowed = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    if (access.kind === 'unix') return origin === undefined;
    if (access.kind === 'consoles') return origin === access.origin;
    return origin !== undefined && allowedHosts().some((h) => origin === `http://${h}`);
  };

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    const base = {
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (!hostAllowed(req)) {
      res.writeHead(403, base).end('Forbidden\n');
      return;
    }
    if (access.kind === 'consoles') {
      res.writeHead(404, base).end();
      return;
    }
    const token = url.searchParams.get('token');
    if (token !== null && launchToken !== undefined && sameSecret(token, launchToken)) {
      launchToken = undefined; // one use only: the link cannot be replayed from history or logs
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      res
        .writeHead(302, {
          ...base,
          'Set-Cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
          Location: '/',
        })
        .end();
      return;
    }
    if (!hasSession(req)) {
      res
        .writeHead(403, { ...base, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Tessera: open the link that `tessera serve` printed (each link works once).\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, base).end();
      return;
    }
    if (!options.staticDir) {
      res.writeHead(404, base).end();
      return;
    }
    const file = await resolveStaticFile(options.staticDir, url.pathname);
    let body: Buffer;
    try {
      if (file === null) throw new Error('not servable');
      body = await fsp.readFile(file);
    } catch {
      res.writeHead(404, base).end();
      return;
    }
    res.writeHead(200, { ...base, 'Content-Type': contentTypeFor(file) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const refuse = (status: number) => {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    };
    const consolesOnly = access.kind === 'consoles';
    if (!hostAllowed(req) || !(consolesOnly || hasSession(req)) || !originAllowed(req)) return refuse(403);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (url.pathname === '/rpc' && !consolesOnly) {
      wss.handleUpgrade(req, socket, head, (ws) =>
        serveTransport(createWsTransport(ws), link.dispatcher, link.events),
      );
      return;
    }
    const match = /^\/console\/([A-Za-z0-9_-]{16,128})$/.exec(url.pathname);
    // A token that is wrong in any way, malformed included, gets the same bare 403.
    if (!match?.[1]) return refuse(url.pathname.startsWith('/console/') ? 403 : 404);
    void link.openConsole(match[1]).then((channel) => {
      if (!channel) return refuse(403);
      if (socket.destroyed) return channel.close();
      wss.handleUpgrade(req, socket, head, (ws) => bridgeConsole(ws, channel));
    });
  });

  return {
    server,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // Upgraded sockets are no longer HTTP connections, so closeAllConnections misses them.
        for (const s of upgraded) s.destroy();
        wss.close();
      });
    },
  };
}
