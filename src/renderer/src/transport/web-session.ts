import { z } from 'zod';
import {
  HANDOFF_CHANNEL,
  LAUNCH_FRAGMENT_KEY,
  SESSION_CHECK_PATH,
  SESSION_EXCHANGE_PATH,
  SESSION_HANDOFF_PATH,
  SESSION_HEADER,
  SESSION_STORAGE_KEY,
} from '../../../shared/web-session';

/**
 * The page's side of a `tessera serve` session (shared/web-session.ts, README "Security").
 *
 * How a tab gets in, in order:
 * 1. The link `tessera serve` (or `tessera serve --link`) printed: its one-time token is in the
 *    fragment, which no request carries; the page removes it from the address bar at once and
 *    trades it for this tab's secret.
 * 2. A reload: the secret is in sessionStorage, which belongs to this tab and this origin only.
 * 3. A new tab (bookmark, typed address): it asks the tabs already open, on a BroadcastChannel,
 *    which only pages of this exact origin (scheme, host and port) can join. One of them asks the
 *    server for a hand-off token (30 s, one use) with its own secret and posts it back; the new
 *    tab trades it for a secret of its own. Nothing else on this origin can listen: the server on
 *    this port serves only Tessera's files, and a session of this instance is useless to anyone
 *    who took the port after it stopped.
 */

const Exchanged = z.object({ secret: z.string().min(1) });
const Refused = z.object({ error: z.string() });
const HandedOff = z.object({ launch: z.string().min(1) });
const HandoffMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('want'), nonce: z.string() }),
  z.object({ type: z.literal('offer'), nonce: z.string(), launch: z.string() }),
]);

/** How long a new tab waits for an open tab to answer. */
const HANDOFF_WAIT_MS = 1500;

export type WebSessionResult = { ok: true; session: WebSession } | { ok: false; message: string };

export interface WebSession {
  /**
   * The secret for the next RPC connection. After the first, it asks the server whether the
   * session still lives; when it does not (expired, revoked, another instance), the page reloads
   * to sign in afresh.
   */
  secretForConnect(): Promise<string>;
}

function post(path: string, body?: unknown, secret?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (secret !== undefined) headers[SESSION_HEADER] = secret;
  return fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    cache: 'no-store',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function exchange(launch: string): Promise<{ secret: string } | { message: string }> {
  const response = await post(SESSION_EXCHANGE_PATH, { launch });
  const body: unknown = await response.json().catch(() => undefined);
  const made = Exchanged.safeParse(body);
  if (response.ok && made.success) return { secret: made.data.secret };
  const refused = Refused.safeParse(body);
  return {
    message: refused.success ? refused.data.error : `the server refused the link (${response.status})`,
  };
}

async function stillValid(secret: string): Promise<boolean> {
  const response = await post(SESSION_CHECK_PATH, undefined, secret);
  if (response.status === 401) return false;
  if (!response.ok) throw new Error(`session check failed (${response.status})`);
  return true;
}

/** The launch token in the address bar's fragment, which is removed from it (and from history) here. */
export function takeLaunchToken(): string | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get(LAUNCH_FRAGMENT_KEY);
  if (token === null) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return token;
}

function askOpenTabs(): Promise<string | undefined> {
  if (typeof BroadcastChannel === 'undefined') return Promise.resolve(undefined);
  const channel = new BroadcastChannel(HANDOFF_CHANNEL);
  const nonce = crypto.randomUUID();
  return new Promise((resolve) => {
    const done = (launch: string | undefined) => {
      clearTimeout(timer);
      channel.close();
      resolve(launch);
    };
    const timer = setTimeout(() => done(undefined), HANDOFF_WAIT_MS);
    channel.onmessage = (event: MessageEvent) => {
      const message = HandoffMessage.safeParse(event.data);
      if (message.success && message.data.type === 'offer' && message.data.nonce === nonce)
        done(message.data.launch);
    };
    channel.postMessage({ type: 'want', nonce });
  });
}

/** While this tab has a session, it answers new tabs of its origin with a hand-off token. */
function answerNewTabs(secret: () => string): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(HANDOFF_CHANNEL);
  channel.onmessage = (event: MessageEvent) => {
    const message = HandoffMessage.safeParse(event.data);
    if (!message.success || message.data.type !== 'want') return;
    const { nonce } = message.data;
    void post(SESSION_HANDOFF_PATH, undefined, secret())
      .then(async (response) => HandedOff.safeParse(await response.json()))
      .then((handed) => {
        if (handed.success) channel.postMessage({ type: 'offer', nonce, launch: handed.data.launch });
      })
      .catch(() => undefined); // This tab's session ended; another tab may answer.
  };
}

const SIGNED_OUT =
  'This tab has no Tessera session. Open the link `tessera serve` printed, or run `tessera serve --link` for a new one (each link works once).';

/** Sign this tab in: from a launch link, the tab's own stored secret, or an open tab's hand-off. */
export async function openWebSession(): Promise<WebSessionResult> {
  let secret: string | undefined;
  const launch = takeLaunchToken();
  if (launch !== undefined) {
    const made = await exchange(launch);
    if (!('secret' in made)) return { ok: false, message: made.message };
    secret = made.secret;
  } else {
    const stored = sessionStorage.getItem(SESSION_STORAGE_KEY) ?? undefined;
    if (stored !== undefined && (await stillValid(stored))) secret = stored;
    else {
      sessionStorage.removeItem(SESSION_STORAGE_KEY);
      const handed = await askOpenTabs();
      const made = handed === undefined ? undefined : await exchange(handed);
      if (made && 'secret' in made) secret = made.secret;
    }
  }
  if (secret === undefined) return { ok: false, message: SIGNED_OUT };
  sessionStorage.setItem(SESSION_STORAGE_KEY, secret);
  const current = secret;
  answerNewTabs(() => current);
  let first = true;
  return {
    ok: true,
    session: {
      async secretForConnect() {
        if (first) {
          first = false;
          return current;
        }
        if (!(await stillValid(current))) {
          sessionStorage.removeItem(SESSION_STORAGE_KEY);
          location.reload();
          throw new Error('the session ended');
        }
        return current;
      },
    },
  };
}
