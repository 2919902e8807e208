import { IPC_CHANNEL } from '../../shared/bridge-transport';
import type { Transport, WireMessage } from '../../shared/wire';

/** The part of Electron's ipcMain this transport needs, so it is testable without Electron. */
export interface IpcMainLike {
  on(channel: string, listener: (event: IpcEventLike, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, message: unknown) => void): unknown;
}
export interface IpcEventLike {
  sender: { id: number };
  senderFrame?: { url: string } | null;
}
export interface WebContentsLike {
  id: number;
  send(channel: string, message: unknown): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/**
 * Main-process side of one window's connection. Only messages from that window's own frame,
 * loaded from the app's origin, are accepted (Electron security checklist: validate the sender).
 */
export function createIpcMainTransport(
  ipcMain: IpcMainLike,
  contents: WebContentsLike,
  isTrustedFrameUrl: (url: string) => boolean,
): Transport {
  const handlers = new Set<(m: unknown) => void>();
  const closeHandlers = new Set<() => void>();
  let closed = false;
  const listener = (event: IpcEventLike, message: unknown) => {
    if (event.sender.id !== contents.id) return;
    const url = event.senderFrame?.url;
    if (url === undefined || !isTrustedFrameUrl(url)) return;
    for (const h of handlers) h(message);
  };
  ipcMain.on(IPC_CHANNEL, listener);
  const close = () => {
    if (closed) return;
    closed = true;
    ipcMain.removeListener(IPC_CHANNEL, listener);
    for (const h of closeHandlers) h();
  };
  contents.once('destroyed', close);
  return {
    send(message: WireMessage) {
      if (closed || contents.isDestroyed()) throw new Error('window closed');
      contents.send(IPC_CHANNEL, message);
    },
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onClose(handler) {
      closeHandlers.add(handler);
      return () => closeHandlers.delete(handler);
    },
    close,
  };
}
