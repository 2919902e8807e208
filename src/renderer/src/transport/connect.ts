import { BRIDGE_GLOBAL, createBridgeTransport, type PreloadBridge } from '../../../shared/bridge-transport';
import { createClient, type Client } from '../../../shared/client';
import { eventNames, type EventName, type EventPayload } from '../../../shared/contract';
import { TesseraError } from '../../../shared/errors';
import type { Transport, WireMessage } from '../../../shared/wire';
import { RPC_PROTOCOL, SESSION_PROTOCOL_PREFIX } from '../../../shared/web-session';
import { openWebSession } from './web-session';

/** `connecting` only before the first connection; after a loss it is `disconnected` until back. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/** A Client that outlives its wire: calls go to the live connection, event handlers survive reconnects. */
export interface Connection extends Client {
  readonly status: ConnectionStatus;
  onStatus(handler: (status: ConnectionStatus) => void): () => void;
}

export interface ReconnectOptions {
  /** First delay after a loss; doubled each failed attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

type AnyHandler = (payload: never) => void;

function bridgeFromWindow(): PreloadBridge | undefined {
  const candidate = (window as unknown as Record<string, unknown>)[BRIDGE_GLOBAL];
  return typeof candidate === 'object' && candidate !== null ? (candidate as PreloadBridge) : undefined;
}

/** A live connection, or why this tab has none (a browser tab without a `tessera serve` session). */
export type Connected = { ok: true; connection: Connection } | { ok: false; message: string };

/**
 * Electron's preload bridge when there is one, else a WebSocket back to the server that served the
 * page, which needs this tab's session secret (web-session.ts): it goes as a second offered
 * subprotocol, which the browser sends to this server only; the session cookie rides along as a
 * second factor.
 */
export async function connect(): Promise<Connected> {
  const bridge = bridgeFromWindow();
  if (bridge) return { ok: true, connection: wrapPermanent(createClient(createBridgeTransport(bridge))) };
  const signedIn = await openWebSession();
  if (!signedIn.ok) return signedIn;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/rpc`;
  const { session } = signedIn;
  return {
    ok: true,
    connection: connectReconnecting(async () =>
      openWebSocketTransport(url, [
        RPC_PROTOCOL,
        `${SESSION_PROTOCOL_PREFIX}${await session.secretForConnect()}`,
      ]),
    ),
  };
}

/** IPC lives as long as the window, so the bridge is connected from the start and never drops. */
function wrapPermanent(client: Client): Connection {
  return {
    status: 'connected',
    onStatus: () => () => undefined,
    call: (method, params) => client.call(method, params),
    on: (name, handler) => client.on(name, handler),
    close: () => client.close(),
  };
}

/**
 * Keep one client connected through `open`, reopening with exponential backoff after a loss.
 * Calls made while disconnected fail at once with UNAVAILABLE instead of queueing: a queued
 * "start VM" replayed minutes later would surprise the user.
 */
export function connectReconnecting(
  open: () => Promise<Transport>,
  options: ReconnectOptions = {},
): Connection {
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const statusHandlers = new Set<(status: ConnectionStatus) => void>();
  const eventHandlers = new Map<EventName, Set<AnyHandler>>();
  let status: ConnectionStatus = 'connecting';
  let client: Client | null = null;
  let closed = false;
  let delayMs = initialDelayMs;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (next: ConnectionStatus) => {
    if (next === status) return;
    status = next;
    for (const handler of statusHandlers) handler(next);
  };

  const attempt = async () => {
    timer = undefined;
    let transport: Transport;
    try {
      transport = await open();
    } catch {
      return lost();
    }
    if (closed) return transport.close();
    const next = createClient(transport);
    for (const name of eventNames) {
      next.on(name, (payload) => {
        for (const handler of eventHandlers.get(name) ?? []) (handler as (p: unknown) => void)(payload);
      });
    }
    transport.onClose?.(() => {
      if (client === next) {
        client = null;
        lost();
      }
    });
    client = next;
    delayMs = initialDelayMs;
    setStatus('connected');
  };

  const lost = () => {
    if (closed) return;
    setStatus('disconnected');
    timer = setTimeout(() => void attempt(), delayMs);
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  };

  void attempt();

  return {
    get status() {
      return status;
    },
    onStatus(handler) {
      statusHandlers.add(handler);
      return () => statusHandlers.delete(handler);
    },
    call(method, params) {
      if (!client) {
        return Promise.reject(new TesseraError('UNAVAILABLE', 'not connected to the Tessera backend'));
      }
      return client.call(method, params);
    },
    on<K extends EventName>(name: K, handler: (payload: EventPayload<K>) => void) {
      let set = eventHandlers.get(name);
      if (!set) eventHandlers.set(name, (set = new Set()));
      set.add(handler as AnyHandler);
      return () => set.delete(handler as AnyHandler);
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      client?.close();
      client = null;
    },
  };
}

/** Resolves once the socket is open, so a refused upgrade counts as a failed attempt. */
export function openWebSocketTransport(url: string, protocols: string[] = []): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      resolve(wrapWebSocket(socket));
    });
    socket.addEventListener('close', () => {
      if (!opened) reject(new Error(`could not connect to ${url}`));
    });
  });
}

function wrapWebSocket(socket: WebSocket): Transport {
  return {
    send(message: WireMessage) {
      if (socket.readyState !== WebSocket.OPEN) throw new Error('the connection is not open');
      socket.send(JSON.stringify(message));
    },
    onMessage(handler) {
      const listener = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(event.data);
        } catch {
          return; // The client validates every message; one garbled frame is dropped, not fatal.
        }
        handler(parsed);
      };
      socket.addEventListener('message', listener);
      return () => socket.removeEventListener('message', listener);
    },
    onClose(handler) {
      // `close` also follows `error`, so one listener covers both ways a socket ends.
      const listener = () => handler();
      socket.addEventListener('close', listener);
      return () => socket.removeEventListener('close', listener);
    },
    close() {
      socket.close();
    },
  };
}
