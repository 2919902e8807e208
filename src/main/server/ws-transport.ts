import type WebSocket from 'ws';
import type { Transport, WireMessage } from '../../shared/wire';

/** A `ws` socket as a Transport: JSON text frames; anything unparsable is dropped. */
export function createWsTransport(socket: WebSocket): Transport {
  return {
    send(message: WireMessage) {
      if (socket.readyState !== socket.OPEN) throw new Error('socket not open');
      socket.send(JSON.stringify(message));
    },
    onMessage(handler) {
      const listener = (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString());
        } catch {
          return;
        }
        handler(parsed);
      };
      socket.on('message', listener);
      return () => socket.off('message', listener);
    },
    onClose(handler) {
      socket.on('close', handler);
      return () => socket.off('close', handler);
    },
    close() {
      socket.close();
    },
  };
}
