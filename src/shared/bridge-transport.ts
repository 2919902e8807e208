import type { Transport, WireMessage } from './wire';

/**
 * What the Electron preload exposes to the sandboxed renderer: two functions, nothing else.
 * The renderer wraps it in a Transport; it never sees ipcRenderer itself.
 */
export interface PreloadBridge {
  send(message: unknown): void;
  onMessage(handler: (message: unknown) => void): () => void;
}

export const BRIDGE_GLOBAL = 'tesseraBridge';
export const IPC_CHANNEL = 'tessera:rpc';

export function createBridgeTransport(bridge: PreloadBridge): Transport {
  return {
    send(message: WireMessage) {
      bridge.send(message);
    },
    onMessage(handler) {
      return bridge.onMessage(handler);
    },
    close() {
      // The window's lifetime is the connection's; there is nothing to close from this side.
    },
  };
}
