import http from 'node:http';
import WebSocket from 'ws';
import { createClient, type Client } from '../src/shared/client';
import { createWsTransport } from '../src/main/server/ws-transport';

export interface ServeClient {
  client: Client;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The session cookie the launch URL bought, for console WebSockets. */
  cookie: string;
  close(): void;
}

/** A `tessera serve` front as a browser tab uses it: the launch URL's cookie, then RPC over /rpc. */
export async function connectServe(launchUrl: string): Promise<ServeClient> {
  const cookie = await new Promise<string>((resolve, reject) => {
    http
      .get(launchUrl, (res) => {
        res.resume();
        const value = res.headers['set-cookie']?.[0]?.split(';')[0];
        if (res.statusCode === 302 && value) resolve(value);
        else reject(new Error(`the launch URL answered ${res.statusCode}`));
      })
      .on('error', reject);
  });
  const origin = new URL(launchUrl).origin;
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/rpc`, {
    headers: { Cookie: cookie, Origin: origin },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { client: createClient(createWsTransport(ws)), origin, cookie, close: () => ws.close() };
}
