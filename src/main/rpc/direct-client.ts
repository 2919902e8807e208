import type { Client } from '../../shared/client';
import type { CallName, CallOutput, EventName } from '../../shared/contract';
import { TesseraError } from '../../shared/errors';
import type { Dispatcher, EventSource } from './dispatcher';

/**
 * A client of a backend in this very process (the CLI's own short-lived one): calls go straight
 * to its dispatcher, which checks every input against the contract as it does for any front.
 * There is no wire between, so answers are neither copied nor checked a second time: they come
 * from this process's own services, which check what they read from outside (definitions on
 * disk, QMP, sysfs) where they read it, and tests run the dispatcher with `validateOutputs`.
 * Over a memory transport with createClient, copying and re-checking 2,000 VM specs cost `vm list`
 * as much again as reading them (bench/list-200.ts).
 */
export function createDirectClient(dispatcher: Dispatcher, events: EventSource): Client {
  const pending = new Set<(error: Error) => void>();
  const unsubscribes = new Set<() => void>();
  let closed = false;
  const unavailable = () => new TesseraError('UNAVAILABLE', 'the client was closed');
  return {
    call<K extends CallName>(method: K, params: unknown): Promise<CallOutput<K>> {
      if (closed) return Promise.reject(unavailable());
      return new Promise<CallOutput<K>>((resolve, reject) => {
        pending.add(reject);
        void dispatcher.dispatch(method, params).then((envelope) => {
          if (!pending.delete(reject)) return;
          if (envelope.ok) resolve(envelope.value as CallOutput<K>);
          else reject(new TesseraError(envelope.error.code, envelope.error.message, envelope.error.details));
        });
      });
    },
    on(name, handler) {
      // The bus checked the payload against the contract when it was emitted.
      const unsubscribe = events.subscribe((event: EventName, payload) => {
        if (event === name) (handler as (p: unknown) => void)(payload);
      });
      unsubscribes.add(unsubscribe);
      return () => {
        unsubscribes.delete(unsubscribe);
        unsubscribe();
      };
    },
    close() {
      closed = true;
      for (const reject of pending) reject(unavailable());
      pending.clear();
      for (const unsubscribe of unsubscribes) unsubscribe();
      unsubscribes.clear();
    },
  };
}
