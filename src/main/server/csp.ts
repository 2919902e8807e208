/**
 * The renderer's Content Security Policy, one place for both fronts: the app:// handler sends it
 * as a header and the renderer build writes it into index.html, so a page served over http by
 * `tessera serve` is covered even before that server sends its own header.
 *
 * - script-src 'self': the bundle is files only; index.html has no inline script.
 * - style-src 'unsafe-inline': React writes `style` attributes; styles cannot run code.
 * - connect-src: 'self' covers same-origin ws:// under http (CSP3), and loopback ws:// is where the
 *   backend's console bridges (VNC, serial) listen when the page runs under app://.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Browsers ignore frame-ancestors in a <meta> policy and warn about it, so the meta copy leaves it out. */
export const CONTENT_SECURITY_POLICY_META = CONTENT_SECURITY_POLICY.split('; ')
  .filter((directive) => !directive.startsWith('frame-ancestors'))
  .join('; ');
