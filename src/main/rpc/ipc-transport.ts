import { IPC_CHANNEL } from '../../shared/bridge-transport';
import type { Transport, WireMessage } from '../../shared/wire';
import type { IpcEventLike, IpcListen } from './validated-ipc';

export interface WebContentsLike {
  id: number;
  send(channel: string, message: unknown): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/**
 * Main-process side of one window's connection: the messages its own page sends. `ipc` has
 * refused every sender that is not the main frame of a Tessera window at app:// already
 * (src/main/rpc/validated-ipc.ts); those of Tessera's other windows go to their own transports.
 */
export function createIpcMainTransport(ipc: IpcListen, contents: WebContentsLike): Transport {
  const handlers = new Set<(m: unknown) => void>();
  const closeHandlers = new Set<() => void>();
  let closed = false;
  const stopListening = ipc.on(IPC_CHANNEL, (event: IpcEventLike, message: unknown) => {
    if (event.sender.id !== contents.id) return;
    for (const h of handlers) h(message);
  });
  const close = () => {
    if (closed) return;
    closed = true;
    stopListening();
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
