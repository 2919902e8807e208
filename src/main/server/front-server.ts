import fsp from 'node:fs/promises';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import type { CallName } from '../../shared/contract';
import {
  RPC_PROTOCOL,
  SESSION_CHECK_PATH,
  SESSION_EXCHANGE_PATH,
  SESSION_HANDOFF_PATH,
  SESSION_HEADER,
  SESSION_PROTOCOL_PREFIX,
  sessionCookieName,
} from '../../shared/web-session';
import { serveTransport, type Dispatcher } from '../rpc/dispatcher';
import { createWsTransport } from './ws-transport';
import {
  MAX_MESSAGE_BYTES,
  MAX_PENDING_CALLS,
  MAX_PENDING_CALLS_CONTROL_SOCKET,
  limitPendingCalls,
} from './connection-limits';
import { bridgeConsole } from './console-bridge';
import { CONTENT_SECURITY_POLICY } from './csp';
import { contentTypeFor, resolveStaticFile } from './static-files';
import type { BackendLink } from './backend-link';
import { offeredProtocols, singleCookie, singleHeader } from './http-headers';
import type { WebSession, WebSessions } from './web-sessions';

/**
 * Who may talk to a front server.
 * - unix: the control socket; its 0700 dir and 0600 mode are the access control.
 * - loopback: `tessera serve` on 127.0.0.1. The page trades a one-time launch token for a per-tab
 *   session (web-sessions.ts, README "Security"); the RPC socket needs that session's secret, which
 *   the browser never sends anywhere by itself, and its cookie as a second factor; a console
 *   bridge needs a token this session's RPC was handed. Every request needs a loopback Host
 *   (against DNS rebinding) and every session request and WebSocket our own Origin (against
 *   cross-site requests and WebSocket hijacking), each said once.
 * - consoles: console bridges only, on 127.0.0.1, for the Electron window, whose app:// page has
 *   no server of its own to open WebSockets on. No cookie can reach it (another site), so a
 *   console token (handed out over IPC) and the app's Origin are what let a WebSocket in;
 *   there is no RPC and no page here.
 */
export type FrontAccess =
  | { kind: 'unix' }
  | { kind: 'loopback'; sessions: WebSessions; port: () => number }
  | { kind: 'consoles'; origin: string; port: () => number };

export interface FrontServerOptions {
  link: BackendLink;
  access: FrontAccess;
  /** Built renderer to serve (loopback only). */
  staticDir?: string;
}

/** The calls whose answer is a console token; the loopback front remembers which session got it. */
const GRANTING_CALLS = new Set<string>(['console.open', 'terminal.open'] satisfies CallName[]);
const GrantValue = z.object({ token: z.string() });
/** A session request body is one short token. */
const MAX_SESSION_BODY = 1024;
const ExchangeBody = z.object({ launch: z.string().max(256) });
/** How often sessions that ran out are ended while their sockets are open. */
const SWEEP_MS = 60_000;

export interface FrontServer {
  readonly server: http.Server;
  /** Stop listening and drop every connection, WebSockets included. */
  close(): Promise<void>;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SESSION_BODY) {
        reject(new RequestError(413, 'request too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function createFrontServer(options: FrontServerOptions): FrontServer {
  const { link, access } = options;
  const sessions = access.kind === 'loopback' ? access.sessions : undefined;
  const sweep = sessions ? setInterval(() => sessions.sweep(), SWEEP_MS) : undefined;
  sweep?.unref();
  const upgraded = new Set<Duplex>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // noVNC and spice-html5 ask for 'binary', the page's RPC for RPC_PROTOCOL, the CLI's for none.
    // The session subprotocol is never picked: the secret is not sent back.
    handleProtocols: (protocols) =>
      protocols.has('binary') ? 'binary' : protocols.has(RPC_PROTOCOL) ? RPC_PROTOCOL : false,
  });

  const allowedHosts = () => {
    if (access.kind === 'unix') return [];
    const port = access.port();
    return [`127.0.0.1:${port}`, `localhost:${port}`];
  };
  const hostAllowed = (req: http.IncomingMessage) => {
    if (access.kind === 'unix') return true;
    const host = singleHeader(req, 'host');
    return host !== undefined && allowedHosts().includes(host);
  };
  const originAllowed = (req: http.IncomingMessage) => {
    if (access.kind === 'unix') return req.headers.origin === undefined;
    const origin = singleHeader(req, 'origin');
    if (access.kind === 'consoles') return origin === access.origin;
    return origin !== undefined && allowedHosts().some((h) => origin === `http://${h}`);
  };
  const cookieOf = (req: http.IncomingMessage) =>
    access.kind === 'loopback' ? singleCookie(req, sessionCookieName(access.port())) : undefined;
  /** The session a request's secret header (or WebSocket subprotocol) and cookie name together. */
  const sessionOf = (req: http.IncomingMessage, secret: string | undefined) =>
    sessions?.check(secret, cookieOf(req));
  const protocolSecret = (req: http.IncomingMessage) => {
    const offered = offeredProtocols(req).filter((p) => p.startsWith(SESSION_PROTOCOL_PREFIX));
    return offered.length === 1 ? offered[0]?.slice(SESSION_PROTOCOL_PREFIX.length) : undefined;
  };

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof RequestError) res.writeHead(error.status).end(`${error.message}\n`);
      else res.writeHead(500).end();
    });
  });

  const base = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };

  function json(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    res
      .writeHead(status, { ...base, ...headers, 'Content-Type': 'application/json' })
      .end(JSON.stringify(body));
  }

  /** The session endpoints (shared/web-session.ts): POST only, from our own page only. */
  async function handleSession(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    book: WebSessions,
    port: number,
  ) {
    if (req.method !== 'POST') return void res.writeHead(405, base).end();
    if (!originAllowed(req)) return void res.writeHead(403, base).end();
    const path = new URL(req.url ?? '/', 'http://front').pathname;
    if (path === SESSION_EXCHANGE_PATH) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readBody(req));
      } catch (error) {
        if (error instanceof RequestError) throw error;
        parsed = undefined;
      }
      const body = ExchangeBody.safeParse(parsed);
      const made = body.success ? book.exchange(body.data.launch) : undefined;
      if (!made) {
        return json(res, 403, {
          error:
            'this link was used already or has expired: each link works once. Run `tessera serve --link` for a new one.',
        });
      }
      // Path=/ and the port in the name: the cookie is this instance's and no other's. It is sent
      // to other ports too (cookies ignore ports), which is why it is never enough on its own.
      return json(
        res,
        200,
        { secret: made.secret },
        { 'Set-Cookie': `${sessionCookieName(port)}=${made.cookie}; HttpOnly; SameSite=Strict; Path=/` },
      );
    }
    const session = sessionOf(req, singleHeader(req, SESSION_HEADER));
    if (!session) return json(res, 401, { error: 'no session: it expired, was revoked, or never was' });
    if (path === SESSION_CHECK_PATH) return void res.writeHead(204, base).end();
    if (path === SESSION_HANDOFF_PATH) return json(res, 200, { launch: book.issueHandoff() });
    res.writeHead(404, base).end();
  }

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    if (!hostAllowed(req)) {
      res.writeHead(403, base).end('Forbidden\n');
      return;
    }
    if (access.kind !== 'loopback') {
      res.writeHead(404, base).end();
      return;
    }
    if (url.pathname === SESSION_EXCHANGE_PATH || url.pathname.startsWith(`${SESSION_EXCHANGE_PATH}/`)) {
      return handleSession(req, res, access.sessions, access.port());
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, base).end();
      return;
    }
    // The page itself is public (the same files as the package): it holds no secret, and a tab
    // without a session shows how to get one.
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

  /** Per RPC connection: remember the console tokens the session is handed, and stop when it ends. */
  function sessionDispatcher(session: WebSession): Dispatcher {
    return {
      async dispatch(method, params) {
        const result = await link.dispatcher.dispatch(method, params);
        if (result.ok && typeof method === 'string' && GRANTING_CALLS.has(method)) {
          const grant = GrantValue.safeParse(result.value);
          if (grant.success) sessions?.rememberConsoleGrant(session, grant.data.token);
        }
        return result;
      },
    };
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const refuse = (status: number) => {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    };
    if (!hostAllowed(req) || !originAllowed(req)) return refuse(403);
    const match = /^\/console\/([A-Za-z0-9_-]{16,128})$/.exec(url.pathname);
    let session: WebSession | undefined;
    if (url.pathname === '/rpc' && access.kind !== 'consoles') {
      if (access.kind === 'loopback') {
        session = sessionOf(req, protocolSecret(req));
        if (!session) return refuse(403);
      }
    } else if (match?.[1]) {
      // spice-html5 cannot offer a second subprotocol, so a bridge carries no secret: the token
      // must be one that this session's own RPC was handed, and the cookie that session's.
      if (sessions) {
        session = sessions.takeConsoleGrant(match[1], cookieOf(req));
        if (!session) return refuse(403);
      }
    } else {
      // A token that is wrong in any way, malformed included, gets the same bare 403.
      return refuse(url.pathname.startsWith('/console/') ? 403 : 404);
    }
    upgraded.add(socket);
    session?.sockets.add(socket);
    socket.once('close', () => {
      upgraded.delete(socket);
      session?.sockets.delete(socket);
    });
    if (url.pathname === '/rpc') {
      const dispatcher = session ? sessionDispatcher(session) : link.dispatcher;
      const limit = access.kind === 'unix' ? MAX_PENDING_CALLS_CONTROL_SOCKET : MAX_PENDING_CALLS;
      wss.handleUpgrade(req, socket, head, (ws) => {
        // A frame that breaks the protocol (bad UTF-8, too big, unmasked) makes `ws` start the
        // close with its RFC 6455 code and then emit 'error': without a listener that would throw
        // and take the whole backend down. The close goes on by itself (or times out).
        ws.on('error', () => {});
        serveTransport(createWsTransport(ws), limitPendingCalls(ws, dispatcher, limit), link.events);
      });
      return;
    }
    void link.openConsole(match?.[1] ?? '').then((channel) => {
      if (!channel) return refuse(403);
      if (socket.destroyed) return channel.close();
      wss.handleUpgrade(req, socket, head, (ws) => bridgeConsole(ws, channel));
    });
  });

  return {
    server,
    close() {
      return new Promise<void>((resolve) => {
        if (sweep) clearInterval(sweep);
        server.close(() => resolve());
        server.closeAllConnections();
        // Upgraded sockets are no longer HTTP connections, so closeAllConnections misses them.
        for (const s of upgraded) s.destroy();
        wss.close();
      });
    },
  };
}
