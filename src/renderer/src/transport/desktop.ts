import { DESKTOP_GLOBAL, type DesktopBridge } from '../../../shared/desktop-bridge';

/** The Electron preload's helpers, or undefined in a browser (which has neither dialogs nor app://). */
export function desktopBridge(): DesktopBridge | undefined {
  const candidate = (window as unknown as Record<string, unknown>)[DESKTOP_GLOBAL];
  return typeof candidate === 'object' && candidate !== null ? (candidate as DesktopBridge) : undefined;
}

/**
 * Where a console grant's `/console/<token>` path is opened. In the browser that is the server
 * that served the page, which lets it in only for the session whose RPC was handed the token
 * (with that session's cookie and our Origin); under app:// it is the backend's loopback bridge,
 * which the preload names.
 */
export async function consoleSocketUrl(path: string): Promise<string> {
  const desktop = desktopBridge();
  if (desktop) return `${await desktop.consoleBase()}${path}`;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}
