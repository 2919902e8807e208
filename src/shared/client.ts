import {
  calls,
  events,
  type CallInput,
  type CallName,
  type CallOutput,
  type EventName,
  type EventPayload,
} from './contract';
import { TesseraError } from './errors';
import { WireMessage, type Transport } from './wire';

export interface Client {
  call<K extends CallName>(method: K, params: CallInput<K>): Promise<CallOutput<K>>;
  on<K extends EventName>(name: K, handler: (payload: EventPayload<K>) => void): () => void;
  close(): void;
}

/**
 * The typed client all fronts use. Errors come back as TesseraError with the server's code,
 * so callers can tell a bad input from a missing QEMU.
 */
export function createClient(transport: Transport): Client {
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; method: CallName }
  >();
  const listeners = new Map<string, Set<(payload: never) => void>>();

  const failAll = (error: TesseraError) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  transport.onMessage((raw) => {
    const parsed = WireMessage.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'result') {
      const p = pending.get(message.id);
      if (!p) return;
      pending.delete(message.id);
      if (message.result.ok) {
        const out = calls[p.method].output.safeParse(message.result.value);
        if (out.success) p.resolve(out.data);
        else
          p.reject(new TesseraError('INTERNAL', `the backend answered ${p.method} with an unexpected shape`));
      } else {
        const { code, message: text, details } = message.result.error;
        p.reject(new TesseraError(code, text, details));
      }
    } else if (message.type === 'event') {
      const set = listeners.get(message.name);
      if (!set || !Object.hasOwn(events, message.name)) return;
      const payload = events[message.name as EventName].payload.safeParse(message.payload);
      if (!payload.success) return;
      for (const handler of set) (handler as (p: unknown) => void)(payload.data);
    }
  });
  transport.onClose?.(() =>
    failAll(new TesseraError('UNAVAILABLE', 'the connection to the Tessera backend closed')),
  );

  return {
    call(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
        try {
          transport.send({ type: 'call', id, method, params });
        } catch (error) {
          pending.delete(id);
          reject(new TesseraError('UNAVAILABLE', `could not reach the Tessera backend: ${String(error)}`));
        }
      });
    },
    on(name, handler) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(handler as (payload: never) => void);
      return () => set.delete(handler as (payload: never) => void);
    },
    close() {
      failAll(new TesseraError('UNAVAILABLE', 'the client was closed'));
      transport.close();
    },
  };
}
