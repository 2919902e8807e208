import type { Transport, WireMessage } from './wire';

/**
 * Two connected in-memory transports. Messages are structured-cloned and delivered on a later
 * microtask, so tests see the same copy-and-async behaviour as a real wire.
 */
export function createMemoryTransportPair(): [Transport, Transport] {
  const make = () => ({
    handlers: new Set<(m: unknown) => void>(),
    closeHandlers: new Set<() => void>(),
    closed: false,
  });
  const a = make();
  const b = make();
  const side = (self: ReturnType<typeof make>, peer: ReturnType<typeof make>): Transport => ({
    send(message: WireMessage) {
      if (self.closed) throw new Error('transport closed');
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!peer.closed) for (const h of peer.handlers) h(copy);
      });
    },
    onMessage(handler) {
      self.handlers.add(handler);
      return () => self.handlers.delete(handler);
    },
    onClose(handler) {
      self.closeHandlers.add(handler);
      return () => self.closeHandlers.delete(handler);
    },
    close() {
      for (const s of [self, peer]) {
        if (s.closed) continue;
        s.closed = true;
        for (const h of s.closeHandlers) h();
      }
    },
  });
  return [side(a, b), side(b, a)];
}
