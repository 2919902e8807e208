import type { EventName, EventPayload } from '../shared/contract';

/**
 * What the backend's domains tell each other and the fronts (DESIGN.md "One backend, several
 * fronts"): a VM changed or went, a GPU change was applied, settings changed, a run, an image or
 * the kiosk moved on. The payloads are the contract's event payloads (src/shared/contract.ts
 * `events`), so a type is never written twice; the RPC layer forwards each to the fronts
 * (`forwardDomainEvents` into rpc/dispatcher.ts's EventBus, which checks it against the contract).
 */
export type DomainEvents = { [K in EventName]: EventPayload<K> };
export type DomainEventName = keyof DomainEvents;

type AnyListener = <K extends DomainEventName>(name: K, payload: DomainEvents[K]) => void;

/**
 * Typed events between the backend's domains: a service emits, another listens to the one event
 * it cares about with its payload typed, never cast back from the wire's `unknown`.
 */
export class DomainEventBus {
  private readonly listeners = new Map<DomainEventName, Set<(payload: never) => void>>();
  private readonly everything = new Set<AnyListener>();

  emit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void {
    for (const l of this.listeners.get(name) ?? []) (l as (p: DomainEvents[K]) => void)(payload);
    for (const l of this.everything) l(name, payload);
  }

  /** Listen to one event; returns how to stop. */
  on<K extends DomainEventName>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const listeners = set;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Every event, for the layer that forwards them to the fronts. */
  onEvery(listener: AnyListener): () => void {
    this.everything.add(listener);
    return () => this.everything.delete(listener);
  }
}

/** Where wire events go: the RPC's EventBus (rpc/dispatcher.ts), which checks each against the contract. */
export interface WireEvents {
  emit<K extends EventName>(name: K, payload: EventPayload<K>): void;
}

/**
 * The fronts hear what the domains tell each other: every domain event becomes the wire event of
 * the same name (the payloads are the contract's). Returns how to stop forwarding.
 */
export function forwardDomainEvents(domain: DomainEventBus, wire: WireEvents): () => void {
  return domain.onEvery((name, payload) => wire.emit(name, payload));
}
