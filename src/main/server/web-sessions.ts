import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { TokenBook } from '../console';

/**
 * The browser sessions of one `tessera serve` instance (issue 18). A session has two secrets:
 * - `secret`: the page keeps it in sessionStorage (one tab) and sends it only to the server that
 *   served it, as a WebSocket subprotocol or a request header. It is what lets a call in.
 * - `cookie`: an HttpOnly, SameSite=Strict cookie, a second factor only. Browsers do not isolate
 *   cookies by port, so every other server on 127.0.0.1 may receive it (RFC 6265 §8.5); alone it
 *   opens nothing.
 * Everything lives in this process: a session belongs to the instance (and so the port) that made
 * it, and a restart forgets them all.
 */
export interface SessionLimits {
  /** A session nobody used this long ends; an open page renews it (its RPC socket counts as use). */
  idleMs: number;
  /** No session outlives this, open page or not: the user opens a fresh link. */
  absoluteMs: number;
  /** How long a launch link (the one `tessera serve` prints, or `--link`) stays usable. */
  launchTtlMs: number;
  /** How long a hand-off link from an open tab to a new tab stays usable. */
  handoffTtlMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 60 * 60_000,
  launchTtlMs: 15 * 60_000,
  handoffTtlMs: 30_000,
};

/** How long a console token handed to a session over its RPC is remembered (the backend's own TTL is shorter). */
const CONSOLE_GRANT_MEMORY_MS = 60_000;

export interface WebSession {
  readonly cookie: string;
  readonly created: number;
  lastUsed: number;
  /** Upgraded connections made with this session: ended with it. */
  readonly sockets: Set<Duplex>;
  /** Console tokens this session's RPC handed out, with when. */
  readonly consoleGrants: Map<string, number>;
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

function keyOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class WebSessions {
  /** By a hash of the secret, so a lookup compares no secret byte by byte. */
  private readonly sessions = new Map<string, WebSession>();
  private readonly launches: TokenBook<true>;
  readonly limits: SessionLimits;

  constructor(
    limits: Partial<SessionLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    this.launches = new TokenBook(now);
  }

  /** A one-time launch token, for a link `tessera serve` prints. */
  issueLaunch(): string {
    return this.launches.issue(true, { ttlMs: this.limits.launchTtlMs });
  }

  /** A one-time launch token an open tab passes to a new tab of the same origin. */
  issueHandoff(): string {
    return this.launches.issue(true, { ttlMs: this.limits.handoffTtlMs });
  }

  /** Spend a launch token for a new session; undefined when it is wrong, spent or expired. */
  exchange(launch: string): { secret: string; cookie: string } | undefined {
    if (!this.launches.redeem(launch)) return undefined;
    const made = { secret: secret(), cookie: secret() };
    const now = this.now();
    this.sessions.set(keyOf(made.secret), {
      cookie: made.cookie,
      created: now,
      lastUsed: now,
      sockets: new Set(),
      consoleGrants: new Map(),
    });
    return made;
  }

  /**
   * The live session both secrets name, renewed; undefined when either is missing or wrong, or
   * the session ended. An ended session is forgotten and its connections closed.
   */
  check(secretValue: string | undefined, cookie: string | undefined): WebSession | undefined {
    if (secretValue === undefined || cookie === undefined) return undefined;
    const key = keyOf(secretValue);
    const session = this.sessions.get(key);
    if (!session || !sameSecret(session.cookie, cookie)) return undefined;
    if (this.ended(session)) {
      this.end(key, session);
      return undefined;
    }
    session.lastUsed = this.now();
    return session;
  }

  /** A console token the session's RPC just handed out: only this session may open its bridge here. */
  rememberConsoleGrant(session: WebSession, token: string): void {
    session.consoleGrants.set(token, this.now());
  }

  /** The session whose RPC handed out this console token, when the cookie is that session's. */
  takeConsoleGrant(token: string, cookie: string | undefined): WebSession | undefined {
    if (cookie === undefined) return undefined;
    for (const [key, session] of this.sessions) {
      const issued = session.consoleGrants.get(token);
      if (issued === undefined) continue;
      // Kept after a use: a SPICE token opens a few channels, and the backend counts the uses. A
      // try with the wrong cookie burns it, so the token cannot be tried again.
      if (!sameSecret(session.cookie, cookie)) {
        session.consoleGrants.delete(token);
        return undefined;
      }
      if (this.ended(session)) {
        this.end(key, session);
        return undefined;
      }
      if (this.now() - issued > CONSOLE_GRANT_MEMORY_MS) return undefined;
      session.lastUsed = this.now();
      return session;
    }
    return undefined;
  }

  /** End every session that ran out and close its connections; open pages count as use. */
  sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (session.sockets.size > 0) session.lastUsed = now;
      for (const [token, issued] of session.consoleGrants)
        if (now - issued > CONSOLE_GRANT_MEMORY_MS) session.consoleGrants.delete(token);
      if (this.ended(session)) this.end(key, session);
    }
  }

  /** `tessera serve --revoke-sessions`: every session and unused link ends now. */
  revokeAll(): number {
    const count = this.sessions.size;
    for (const [key, session] of this.sessions) this.end(key, session);
    this.launches.clear();
    return count;
  }

  get size(): number {
    return this.sessions.size;
  }

  private ended(session: WebSession): boolean {
    const now = this.now();
    const idle = session.sockets.size === 0 && now - session.lastUsed > this.limits.idleMs;
    return idle || now - session.created > this.limits.absoluteMs;
  }

  private end(key: string, session: WebSession): void {
    this.sessions.delete(key);
    for (const socket of session.sockets) socket.destroy();
    session.sockets.clear();
    session.consoleGrants.clear();
  }
}
