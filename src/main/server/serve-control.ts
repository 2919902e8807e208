import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { z } from 'zod';

/**
 * A running `tessera serve` instance answers its own user on a Unix socket beside the backend's
 * control socket, so `tessera serve --link` can hand out a fresh launch link and
 * `tessera serve --revoke-sessions` can end every browser session without a restart. Like the
 * control socket, the runtime dir's 0700 mode and the socket's 0600 are the access control.
 */
export interface ServeControlHandlers {
  /** A fresh one-time launch link. */
  link(): string;
  /** End every session; how many there were. */
  revoke(): number;
}

const SOCKET_NAME = /^\.serve-(\d{1,5})\.sock$/;

export function serveControlPath(runtimeDir: string, port: number): string {
  // VM names cannot start with a dot, so this never collides with a VM's runtime dir.
  return path.join(runtimeDir, `.serve-${port}.sock`);
}

const LinkAnswer = z.object({ url: z.string() });
const RevokeAnswer = z.object({ revoked: z.int().min(0) });

function request(socketPath: string, route: '/link' | '/revoke' | '/ping'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: route, method: 'POST', timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath}`)));
    req.on('error', reject);
    req.end();
  });
}

export async function listenServeControl(
  runtimeDir: string,
  port: number,
  handlers: ServeControlHandlers,
): Promise<{ close(): Promise<void> }> {
  const socketPath = serveControlPath(runtimeDir, port);
  const server = http.createServer((req, res) => {
    // Only our own CLI connects here; nothing a browser can reach (no TCP port).
    if (req.method === 'POST' && req.url === '/ping') return res.end('{}');
    if (req.method === 'POST' && req.url === '/link')
      return res.end(JSON.stringify({ url: handlers.link() }));
    if (req.method === 'POST' && req.url === '/revoke')
      return res.end(JSON.stringify({ revoked: handlers.revoke() }));
    res.writeHead(404).end();
  });
  // The TCP port is this instance's alone, so the name is too: a socket file that is there
  // already is what a killed instance on this port left, unless something answers on it.
  const alive = await request(socketPath, '/ping').then(
    () => true,
    () => false,
  );
  if (alive) throw new Error(`another tessera serve already answers on ${socketPath}`);
  await fsp.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fsp.chmod(socketPath, 0o600);
  return {
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(socketPath, { force: true });
    },
  };
}

/**
 * The ports of this user's running `serve` instances: sockets in the runtime dir that are ours
 * (owned by this user; anything else there is not trusted with a question) and answer.
 */
export async function servePorts(runtimeDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(runtimeDir);
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const name of names) {
    const port = SOCKET_NAME.exec(name)?.[1];
    if (port === undefined) continue;
    const socketPath = path.join(runtimeDir, name);
    const stat = await fsp.lstat(socketPath).catch(() => undefined);
    if (!stat?.isSocket() || stat.uid !== process.getuid?.()) continue;
    const error = await request(socketPath, '/ping').then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    // What a killed instance left: nobody listens (ECONNREFUSED), so it is ours to clear.
    if (error?.code === 'ECONNREFUSED') await fsp.rm(socketPath, { force: true });
    else if (!error) ports.push(Number(port));
  }
  return ports.sort((a, b) => a - b);
}

export async function askForLink(runtimeDir: string, port: number): Promise<string> {
  return LinkAnswer.parse(await request(serveControlPath(runtimeDir, port), '/link')).url;
}

export async function askToRevoke(runtimeDir: string, port: number): Promise<number> {
  return RevokeAnswer.parse(await request(serveControlPath(runtimeDir, port), '/revoke')).revoked;
}
