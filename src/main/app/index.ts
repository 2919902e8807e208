import path from 'node:path';
import { BrowserWindow, app, dialog, protocol, session } from 'electron';
import { openFailoverLink } from '../server/failover-link';
import { APP_ORIGIN, APP_SCHEME_PRIVILEGES, handleAppProtocol } from './app-protocol';
import { serveConsoleBase } from './console-base';
import { handleFileDialogs } from './file-dialog';
import { denyPermissions, hardenApp } from './hardening';
import { validatedIpcMain } from './ipc-main';
import { createMainWindow } from './window';
import { keepKioskWindows } from './kiosk-windows';
import { APP_KIOSK_START_FLAG } from '../../shared/kiosk';

// Built layout: out/main/index.js beside out/preload/index.cjs and out/renderer/.
const outDir = path.resolve(import.meta.dirname, '..');
const rendererDir = path.join(outDir, 'renderer');
const preloadPath = path.join(outDir, 'preload', 'index.cjs');
const LINK_CLOSE_TIMEOUT_MS = 5000;

// Privileged schemes must be registered before `ready`; later registration is silently ignored.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
app.enableSandbox();
hardenApp(app);

// One app process per user: a second launch focuses the first window instead of racing it for the
// backend's control socket.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  await app.whenReady();
  denyPermissions(session.defaultSession);
  handleAppProtocol(protocol, rendererDir);
  handleFileDialogs();

  let link: Awaited<ReturnType<typeof openFailoverLink>>;
  try {
    link = await openFailoverLink();
  } catch (error) {
    dialog.showErrorBox(
      'Tessera could not reach its backend',
      error instanceof Error ? error.message : String(error),
    );
    app.exit(1);
    return;
  }

  const consoles = await serveConsoleBase(link, validatedIpcMain, { origin: APP_ORIGIN });

  const openWindow = () => createMainWindow(link, preloadPath);
  // Started by the kiosk's autostart entry (src/main/kiosk/autostart.ts kioskStartCommand): the
  // kiosk comes up on the monitors and no main window covers them; the app stays while it runs.
  const startKiosk = () =>
    void link.dispatcher.dispatch('kiosk.start', {}).then((answer) => {
      if (!answer.ok) console.error(`the kiosk did not start: ${answer.error.message}`);
    });
  const kioskOnly = process.argv.includes(APP_KIOSK_START_FLAG);
  if (kioskOnly) startKiosk();
  else openWindow();
  keepKioskWindows(link, preloadPath);

  app.on('second-instance', (_event, argv) => {
    if (argv.includes(APP_KIOSK_START_FLAG)) return startKiosk();
    const [win] = BrowserWindow.getAllWindows();
    if (!win) return void openWindow();
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin' && !kioskOnly) app.quit();
  });

  // Closing the link lets the backend hand over or wind down its fronts; it never stops VMs,
  // which run detached. Quit waits for it once, but not forever: a stuck close must not leave
  // an invisible process behind.
  let linkClosed = false;
  app.on('will-quit', (event) => {
    if (linkClosed) return;
    event.preventDefault();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, LINK_CLOSE_TIMEOUT_MS).unref());
    void Promise.race([consoles.close().then(() => link.close()), timeout])
      .catch((error: unknown) => console.error('closing the backend link failed:', error))
      .finally(() => {
        linkClosed = true;
        app.quit();
      });
  });
}
