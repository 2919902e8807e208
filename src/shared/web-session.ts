/**
 * What the page served by `tessera serve` and that server agree on for its session (issue 18;
 * README "Security"). The page trades a one-time launch token for a per-tab secret, keeps it in
 * sessionStorage and sends it only back to its own server: in the RPC WebSocket's subprotocol
 * list and in a header on the session endpoints. The browser never attaches either by itself,
 * so no other server on 127.0.0.1 ever receives it, unlike a cookie.
 */

/** Where the launch token is in the link `tessera serve` prints: the fragment, which no request carries. */
export const LAUNCH_FRAGMENT_KEY = 'token';
/** POST {launch} → {secret}: spends a launch token for a new session. */
export const SESSION_EXCHANGE_PATH = '/session';
/** POST with the secret's header → 204 while the session lives (and renews it), 401 after. */
export const SESSION_CHECK_PATH = '/session/check';
/** POST with the secret's header → {launch}: a short-lived one-time token for a new tab. */
export const SESSION_HANDOFF_PATH = '/session/handoff';
export const SESSION_HEADER = 'X-Tessera-Session';
/** The RPC WebSocket's own subprotocol, the one the server picks. */
export const RPC_PROTOCOL = 'tessera.rpc';
/** The secret travels as a second offered subprotocol, `tessera.session.<secret>`, never picked. */
export const SESSION_PROTOCOL_PREFIX = 'tessera.session.';
export const SESSION_STORAGE_KEY = 'tessera.session';
/** BroadcastChannel (same origin only) on which a new tab asks an open one for a hand-off token. */
export const HANDOFF_CHANNEL = 'tessera.session.handoff';

/** The session cookie's name: one per port, so two `serve` instances never overwrite each other's. */
export function sessionCookieName(port: number): string {
  return `tessera_session_${port}`;
}
