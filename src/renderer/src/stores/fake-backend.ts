import type { CallName } from '../../../shared/contract';
import { createMemoryTransportPair } from '../../../shared/memory-transport';
import { CallMessage, type Envelope, type Transport } from '../../../shared/wire';

type Answer = Envelope<unknown>;
const noHandler: Answer = { ok: false, error: { code: 'INTERNAL', message: 'no handler' } };

/** A stand-in backend on memory transports: answers calls from `answers`, can push events and drop. */
export function fakeBackend(answers: Partial<Record<CallName, (params: { id?: string }) => Answer>>) {
  const live = new Set<Transport>();
  let refuse = false;
  const open = async (): Promise<Transport> => {
    if (refuse) throw new Error('refused');
    const [client, server] = createMemoryTransportPair();
    live.add(server);
    server.onClose?.(() => live.delete(server));
    server.onMessage((raw) => {
      const call = CallMessage.parse(raw);
      const answer = answers[call.method as CallName];
      const result = answer ? answer(call.params as { id?: string }) : noHandler;
      server.send({ type: 'result', id: call.id, result });
    });
    return client;
  };
  return {
    open,
    emit(name: string, payload: unknown) {
      for (const t of live) t.send({ type: 'event', name, payload });
    },
    drop(refuseFor: boolean) {
      refuse = refuseFor;
      for (const t of [...live]) t.close();
    },
    allow() {
      refuse = false;
    },
  };
}
