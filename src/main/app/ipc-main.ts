import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { createValidatedIpc } from '../rpc/validated-ipc';
import { isAppUrl } from './app-protocol';

/**
 * The app's only use of Electron's ipcMain: every channel is registered through this, so every
 * handler gets messages from the main frame of a Tessera window at app://tessera/ only
 * (src/main/rpc/validated-ipc.ts). Windows are trusted by createMainWindow (window.ts).
 */
export const validatedIpcMain = createValidatedIpc<IpcMainEvent, IpcMainInvokeEvent>(ipcMain, { isAppUrl });
