import WebSocket from 'ws';
import {
  RPC_PROTOCOL,
  SESSION_EXCHANGE_PATH,
  SESSION_PROTOCOL_PREFIX,
  sessionCookieName,
} from '../../src/shared/web-session';

/** What a signed-in tab of `tessera serve` on `port` holds: its secret and the cookie the server set. */
export interface WebSessionCredentials {
  port: number;
  secret: string;
  /** `tessera_session_<port>=…`, as the browser sends it. */
  cookie: string;
  /** The page's origin, which its requests send. */
  origin: string;
}

/** Do what the page does with a launch token: POST it from our own origin and keep what comes back. */
export async function signIn(port: number, launch: string): Promise<WebSessionCredentials> {
  const origin = `http://127.0.0.1:${port}`;
  const response = await fetch(`${origin}${SESSION_EXCHANGE_PATH}`, {
    method: 'POST',
    headers: { Origin: origin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ launch }),
  });
  if (response.status !== 200) throw new Error(`sign-in refused: HTTP ${response.status}`);
  const { secret } = (await response.json()) as { secret: string };
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  if (!cookie.startsWith(`${sessionCookieName(port)}=`)) throw new Error(`unexpected cookie: ${setCookie}`);
  return { port, secret, cookie, origin };
}

/** The page's RPC WebSocket: the secret as a second subprotocol, the cookie and Origin as headers. */
export function openSessionRpc(
  session: WebSessionCredentials,
  overrides: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${session.port}/rpc`,
      overrides.protocols ?? [RPC_PROTOCOL, `${SESSION_PROTOCOL_PREFIX}${session.secret}`],
      { headers: overrides.headers ?? { Cookie: session.cookie, Origin: session.origin } },
    );
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
