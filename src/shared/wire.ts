import { z } from 'zod';
import { ErrorBody } from './errors';

/** Messages on every transport. Calls carry an id so answers can arrive in any order. */
export const CallMessage = z.object({
  type: z.literal('call'),
  id: z.int().nonnegative(),
  method: z.string(),
  // A call without params means {} (the dispatcher's default); required, its absence dropped the
  // call unanswered and left the caller waiting for ever (found by tests/integration/fuzz-rpc).
  params: z.unknown().optional(),
});
/** What a message that is not a valid call needs for an answer: to say it is one, and its id. */
export const AnswerableCall = z.object({ type: z.literal('call'), id: CallMessage.shape.id });
export const ResultMessage = z.object({
  type: z.literal('result'),
  id: z.int().nonnegative(),
  result: z.union([
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), error: ErrorBody }),
  ]),
});
export const EventMessage = z.object({ type: z.literal('event'), name: z.string(), payload: z.unknown() });
export const WireMessage = z.discriminatedUnion('type', [CallMessage, ResultMessage, EventMessage]);

export type CallMessage = z.infer<typeof CallMessage>;
export type ResultMessage = z.infer<typeof ResultMessage>;
export type EventMessage = z.infer<typeof EventMessage>;
export type WireMessage = z.infer<typeof WireMessage>;
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** A transport is only send + onMessage; what carries the bytes is its own business. */
export interface Transport {
  send(message: WireMessage): void;
  onMessage(handler: (message: unknown) => void): () => void;
  onClose?(handler: () => void): () => void;
  close(): void;
}
