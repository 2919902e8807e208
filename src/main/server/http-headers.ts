import type { IncomingMessage } from 'node:http';

/**
 * Header reading for checks that guard the backend. Node keeps the first of two `Host` or
 * `Origin` headers and joins two `Cookie` headers, so what the check sees could differ from what
 * another parser sees; anything said twice is ambiguous and refused.
 */

/** Every value a header was sent with, from the raw list (no joining, no dropping). */
function rawValues(req: Pick<IncomingMessage, 'rawHeaders'>, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === name) values.push(req.rawHeaders[i + 1] ?? '');
  }
  return values;
}

/** The header's value when it was sent exactly once, else undefined. */
export function singleHeader(req: Pick<IncomingMessage, 'rawHeaders'>, name: string): string | undefined {
  const values = rawValues(req, name.toLowerCase());
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The cookie's value when it is named exactly once over all `Cookie` headers, else undefined:
 * a second `name=` (from another path, another port's server, or a forged header) makes it
 * impossible to say which one the browser meant.
 */
export function singleCookie(req: Pick<IncomingMessage, 'rawHeaders'>, name: string): string | undefined {
  const found: string[] = [];
  for (const header of rawValues(req, 'cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (key === name) found.push(eq < 0 ? '' : part.slice(eq + 1).trim());
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/** The subprotocols a WebSocket upgrade offers, over every `Sec-WebSocket-Protocol` header (RFC 6455 §11.3.4). */
export function offeredProtocols(req: Pick<IncomingMessage, 'rawHeaders'>): string[] {
  return rawValues(req, 'sec-websocket-protocol')
    .flatMap((value) => value.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
