import { BrowserWindow } from 'electron';
import type { Dispatcher, EventSource } from '../rpc/dispatcher';
import { serveTransport } from '../rpc/dispatcher';
import { createIpcMainTransport } from '../rpc/ipc-transport';
import { APP_INDEX_URL } from './app-protocol';
import { validatedIpcMain } from './ipc-main';

export interface WindowBackend {
  dispatcher: Dispatcher;
  events: EventSource;
}

/** A kiosk window: frameless and full-screen on this rectangle, showing one route (`#/kiosk/<vm>`). */
export interface KioskWindowOptions {
  bounds: { x: number; y: number; width: number; height: number };
  route: string;
}

/**
 * One window onto the shared backend. Its connection ends with its web contents; the VMs do not:
 * closing a window only stops this window's event stream.
 */
export function createMainWindow(
  backend: WindowBackend,
  preloadPath: string,
  kiosk?: KioskWindowOptions,
): BrowserWindow {
  const win = new BrowserWindow({
    ...(kiosk
      ? { ...kiosk.bounds, kiosk: true, frame: false, fullscreen: true }
      : { width: 1100, height: 760, minWidth: 480, minHeight: 360 }),
    title: 'Tessera',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  validatedIpcMain.trust(win.webContents);
  serveTransport(
    createIpcMainTransport(validatedIpcMain, win.webContents),
    backend.dispatcher,
    backend.events,
  );
  win.once('ready-to-show', () => win.show());
  void win.loadURL(kiosk ? `${APP_INDEX_URL}${kiosk.route}` : APP_INDEX_URL);
  return win;
}
