import type { BrowserWindow } from 'electron';
import type { KioskMonitors, KioskStatus } from '../../shared/kiosk';
import type { BackendLink } from '../server/backend-link';
import { createMainWindow } from './window';

/**
 * The desktop app's side of the kiosk's `tessera-window` mode: while the kiosk runs, one frameless
 * kiosk BrowserWindow per such assignment, on its monitor's rectangle, showing `#/kiosk/<vm>`
 * (Electron's BrowserWindow `kiosk` option). The page's title lets the kiosk's watchdog find the
 * window and keep it there, as it does for a Chromium --kiosk window. Not exercised by the tests
 * (nothing under test loads Electron); the browser path is (tests/e2e/kiosk.test.ts).
 */
export function keepKioskWindows(link: BackendLink, preloadPath: string): () => void {
  const windows = new Map<string, BrowserWindow>();
  const sync = async (status: KioskStatus) => {
    const wanted = status.running
      ? status.entries.filter((e) => e.mode === 'tessera-window' && e.present && e.vmState !== 'missing')
      : [];
    for (const [vm, win] of windows) {
      if (!wanted.some((e) => e.vm === vm) || win.isDestroyed()) {
        if (!win.isDestroyed()) win.close();
        windows.delete(vm);
      }
    }
    const missing = wanted.filter((e) => !windows.has(e.vm));
    if (missing.length === 0) return;
    const answer = await link.dispatcher.dispatch('kiosk.monitors', {});
    if (!answer.ok) return;
    const { monitors } = answer.value as KioskMonitors;
    for (const entry of missing) {
      const monitor = monitors.find((m) => m.name === entry.monitor);
      if (!monitor) continue;
      const { x, y, width, height } = monitor;
      const win = createMainWindow(link, preloadPath, {
        bounds: { x, y, width, height },
        route: `#/kiosk/${encodeURIComponent(entry.vm)}`,
      });
      win.on('closed', () => windows.delete(entry.vm));
      windows.set(entry.vm, win);
    }
  };
  return link.events.subscribe((name, payload) => {
    if (name === 'kiosk.changed') void sync((payload as { status: KioskStatus }).status);
  });
}
