import WebSocket from 'ws';

/** A console bridge's WebSocket as a test sees it: everything received, and how it closed. */
export interface ConsoleSocket {
  ws: WebSocket;
  /** Every byte received so far. */
  received(): Buffer;
  /** Resolves once the bytes received (from `from` on) contain `text`. */
  waitFor(text: string | Buffer, options?: { from?: number; timeoutMs?: number }): Promise<void>;
  /** Resolves with exactly `n` more bytes than were read by earlier `read`s. */
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  closed: Promise<{ code: number; reason: string }>;
  send(data: string | Buffer): void;
}

export function openConsoleSocket(
  url: string,
  headers: Record<string, string>,
  protocols: string[] = [],
): Promise<ConsoleSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const chunks: Buffer[] = [];
    let size = 0;
    let readOffset = 0;
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.once('close', (code, reason) => {
        done({ code, reason: reason.toString('utf8') });
        for (const w of waiters) w();
      }),
    );
    ws.on('message', (data: Buffer) => {
      chunks.push(data);
      size += data.length;
      for (const w of waiters) w();
    });
    const all = () => Buffer.concat(chunks, size);
    const until = (ready: () => boolean, what: string, timeoutMs: number) =>
      new Promise<void>((done, fail) => {
        const check = () => {
          if (ready()) {
            cleanup();
            done();
          } else if (ws.readyState === ws.CLOSED) {
            cleanup();
            fail(
              new Error(
                `the console closed before ${what}; got ${JSON.stringify(all().toString('latin1').slice(-400))}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(
            new Error(
              `no ${what} within ${timeoutMs} ms; got ${JSON.stringify(all().toString('latin1').slice(-400))}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    ws.once('open', () =>
      resolve({
        ws,
        received: all,
        waitFor: (text, options = {}) =>
          until(
            () =>
              all()
                .subarray(options.from ?? 0)
                .includes(text),
            JSON.stringify(text.toString()),
            options.timeoutMs ?? 30_000,
          ),
        async read(n, timeoutMs = 10_000) {
          await until(() => size >= readOffset + n, `${n} bytes`, timeoutMs);
          const out = all().subarray(readOffset, readOffset + n);
          readOffset += n;
          return out;
        },
        closed,
        send: (data) => ws.send(typeof data === 'string' ? Buffer.from(data) : data),
      }),
    );
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
