import { createClient, type Client } from '../src/shared/client';
import { createWsTransport } from '../src/main/server/ws-transport';
import { openSessionRpc, signIn } from '../tests/support/web-session';

export interface ServeClient {
  client: Client;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The session cookie sign-in set, for console WebSockets. */
  cookie: string;
  close(): void;
}

/**
 * A `tessera serve` front as a browser tab uses it: the launch URL's token traded for a session
 * (as the page does, tests/support/web-session.ts), then RPC over /rpc.
 */
export async function connectServe(launchUrl: string): Promise<ServeClient> {
  const url = new URL(launchUrl);
  const launch = new URLSearchParams(url.hash.slice(1)).get('token');
  if (!launch) throw new Error(`no launch token in ${launchUrl}`);
  const session = await signIn(Number(url.port), launch);
  const ws = await openSessionRpc(session);
  return {
    client: createClient(createWsTransport(ws)),
    origin: session.origin,
    cookie: session.cookie,
    close: () => ws.close(),
  };
}
