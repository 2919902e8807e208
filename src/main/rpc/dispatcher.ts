import {
  calls,
  events,
  isCallName,
  type CallName,
  type CallOutput,
  type EventName,
  type EventPayload,
  type ParsedCallInput,
} from '../../shared/contract';
import { TesseraError, describeZodError, type ErrorBody } from '../../shared/errors';
import {
  AnswerableCall,
  CallMessage,
  type Envelope,
  type ResultMessage,
  type Transport,
} from '../../shared/wire';

export type Handlers = { [K in CallName]: (input: ParsedCallInput<K>) => Promise<CallOutput<K>> };

export interface Dispatcher {
  dispatch(method: unknown, params: unknown): Promise<Envelope<unknown>>;
}

export interface DispatcherOptions {
  /** Validate what handlers return too: on in tests, so a handler cannot drift from the contract. */
  validateOutputs?: boolean;
  onInternalError?: (method: string, error: unknown) => void;
}

function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof TesseraError) return error.toBody();
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatcher {
  return {
    async dispatch(method, params) {
      if (!isCallName(method)) {
        return { ok: false, error: { code: 'BAD_INPUT', message: `unknown call ${JSON.stringify(method)}` } };
      }
      const input = calls[method].input.safeParse(params ?? {});
      if (!input.success) {
        return {
          ok: false,
          error: { code: 'BAD_INPUT', message: describeZodError(input.error), details: input.error.issues },
        };
      }
      try {
        const handler = handlers[method] as (i: unknown) => Promise<unknown>;
        const value = await handler(input.data);
        if (options.validateOutputs) {
          const out = calls[method].output.safeParse(value);
          if (!out.success) {
            throw new TesseraError(
              'INTERNAL',
              `${method} returned a value outside the contract: ${describeZodError(out.error)}`,
            );
          }
        }
        return { ok: true, value };
      } catch (error) {
        if (!(error instanceof TesseraError)) options.onInternalError?.(method, error);
        return { ok: false, error: toErrorBody(error) };
      }
    },
  };
}

export type Listener = (name: EventName, payload: unknown) => void;

/** Events flow from services to every connected front. */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const checked = events[name].payload.parse(payload);
    for (const l of this.listeners) l(name, checked);
  }
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Answer calls arriving on a transport and forward every event to it, until it closes. */
export interface EventSource {
  subscribe(listener: Listener): () => void;
}

function brokenCall(why: string): Envelope<never> {
  return { ok: false, error: { code: 'BAD_INPUT', message: `not a valid call: ${why}` } };
}

export function serveTransport(transport: Transport, dispatcher: Dispatcher, bus: EventSource): () => void {
  const unsubscribeEvents = bus.subscribe((name, payload) => {
    try {
      transport.send({ type: 'event', name, payload });
    } catch {
      // A front that went away misses events; it re-reads state when it reconnects.
    }
  });
  const send = (message: ResultMessage) => {
    try {
      transport.send(message);
    } catch {
      // The caller disconnected before the answer; nothing to deliver it to.
    }
  };
  const stopMessages = transport.onMessage((raw) => {
    const parsed = CallMessage.safeParse(raw);
    if (!parsed.success) {
      // A broken call that still says which call it is gets its answer, so its caller does not
      // wait for ever; without a usable id there is nobody to answer.
      const id = AnswerableCall.safeParse(raw);
      if (id.success)
        send({ type: 'result', id: id.data.id, result: brokenCall(describeZodError(parsed.error)) });
      return;
    }
    const { id, method, params } = parsed.data;
    void dispatcher.dispatch(method, params).then(
      (result) => send({ type: 'result', id, result }),
      // A dispatcher that forwards (backend-link.ts) can fail where a local one answers: the
      // caller still gets an answer, and the process does not end on an unhandled rejection.
      (error: unknown) => send({ type: 'result', id, result: { ok: false, error: toErrorBody(error) } }),
    );
  });
  const stop = () => {
    unsubscribeEvents();
    stopMessages();
  };
  transport.onClose?.(stop);
  return stop;
}
