import type WebSocket from 'ws';
import type { Dispatcher } from '../rpc/dispatcher';

/**
 * The most one WebSocket message to a front server may hold (issue 14.4). The largest a real front
 * sends is a `vm.import` of a libvirt domain XML, up to 4 Mi characters (src/shared/vm-export.ts):
 * as JSON in UTF-8 that is at most 12 MiB even if every character took three bytes, and a real
 * XML is mostly ASCII. `run.start` plan texts are at most 1 Mi characters. Console viewers send
 * key, pointer and clipboard messages, far smaller. Above this, `ws` ends the connection with
 * 1009 (RFC 6455 §7.4.1: "a message that is too big for it to process") before buffering more.
 */
export const MAX_MESSAGE_BYTES = 16 << 20;

/**
 * How many calls one connection may have waiting for their answers. A browser tab has about one
 * per open view plus a thumbnail per VM card and the long waits (`vm.waitSerial`, `run.wait`,
 * `kiosk.start`): tens. A CLI command has one or two. A client with more is flooding: it is
 * disconnected, and the calls already running finish without it.
 */
export const MAX_PENDING_CALLS = 256;

/**
 * The control socket carries a whole other front on one connection (a second `tessera serve` or
 * the Electron app connects through it with all its tabs and windows: backend-link.ts), so it
 * allows as many as sixteen flooding tabs would have before each was cut off. Only this user can
 * connect there (its 0700 dir).
 */
export const MAX_PENDING_CALLS_CONTROL_SOCKET = 16 * MAX_PENDING_CALLS;

/** RFC 6455 §7.4.1: "a message that violates its policy". */
export const CLOSE_POLICY_VIOLATION = 1008;

/**
 * The dispatcher one connection uses: it counts the calls that have not been answered and closes
 * the connection, with a close code and a reason the client can show, once there are too many.
 */
export function limitPendingCalls(ws: WebSocket, dispatcher: Dispatcher, limit: number): Dispatcher {
  let pending = 0;
  let flooded = false;
  const reason = `more than ${limit} calls waiting for an answer`;
  return {
    async dispatch(method, params) {
      // Once over the limit, what is still in flight from this client is not run either.
      if (flooded || pending >= limit) {
        flooded = true;
        if (ws.readyState === ws.OPEN) ws.close(CLOSE_POLICY_VIOLATION, reason);
        return { ok: false, error: { code: 'UNAVAILABLE', message: `disconnected: ${reason}` } };
      }
      pending++;
      try {
        return await dispatcher.dispatch(method, params);
      } finally {
        pending--;
      }
    },
  };
}
