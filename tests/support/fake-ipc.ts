import { EventEmitter } from 'node:events';
import type { IpcEventLike, IpcFrameLike, IpcMainLike } from '../../src/main/rpc/validated-ipc';

/** Electron's ipcMain faked with its shapes, plus what a renderer's ipcRenderer would do to it. */
export interface FakeIpcMain extends IpcMainLike<IpcEventLike, IpcEventLike> {
  /** ipcRenderer.send from the frame `event` describes: every listener gets it at once. */
  send(channel: string, event: IpcEventLike, ...args: unknown[]): void;
  /** ipcRenderer.invoke: the handler's answer, or its error (Electron rejects when there is none). */
  invoke(channel: string, event: IpcEventLike, ...args: unknown[]): Promise<unknown>;
  listening(channel: string): number;
  handled(channel: string): boolean;
}

export function fakeIpcMain(): FakeIpcMain {
  const emitter = new EventEmitter();
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  return {
    on: (channel, listener) => emitter.on(channel, listener),
    removeListener: (channel, listener) => emitter.removeListener(channel, listener),
    handle(channel, listener) {
      // Electron throws on a second handler for one channel.
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
    send: (channel, event, ...args) => void emitter.emit(channel, event, ...args),
    async invoke(channel, event, ...args) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return handler(event, ...args);
    },
    listening: (channel) => emitter.listenerCount(channel),
    handled: (channel) => handlers.has(channel),
  };
}

/** What a frame of window `senderId` sends with: its page's main frame at `url`, or an iframe in it at `iframeUrl`. */
export function ipcEvent(senderId: number, url: string, iframeUrl?: string): IpcEventLike {
  const main: IpcFrameLike = { url, parent: null };
  return {
    sender: { id: senderId },
    senderFrame: iframeUrl === undefined ? main : { url: iframeUrl, parent: main },
  };
}

/** A window's web contents as Electron's would be for IPC: an id, and `destroyed` when it closes. */
export function fakeContents(
  id: number,
  send: (channel: string, message: unknown) => void = () => undefined,
) {
  let destroyed = false;
  const contents = Object.assign(new EventEmitter(), {
    id,
    send,
    isDestroyed: () => destroyed,
    destroy() {
      destroyed = true;
      contents.emit('destroyed');
    },
  });
  return contents;
}
