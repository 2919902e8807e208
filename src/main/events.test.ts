import { describe, expect, it, vi } from 'vitest';
import type { EventPayload } from '../shared/contract';
import { DomainEventBus, forwardDomainEvents } from './events';
import { EventBus } from './rpc/dispatcher';

describe('DomainEventBus', () => {
  it('gives each listener the events it asked for, typed, until it stops listening', () => {
    const bus = new DomainEventBus();
    const removed: string[] = [];
    const progress: number[] = [];
    const stop = bus.on('vm.removed', ({ id }) => removed.push(id));
    bus.on('disk.progress', ({ percent }) => progress.push(percent));
    bus.emit('vm.removed', { id: 'alpha' });
    bus.emit('disk.progress', { path: '/tmp/a.qcow2', percent: 50 });
    stop();
    bus.emit('vm.removed', { id: 'beta' });
    expect(removed).toEqual(['alpha']);
    expect(progress).toEqual([50]);
  });

  it('tells an every-event listener each event with its name', () => {
    const bus = new DomainEventBus();
    const seen: unknown[] = [];
    const stop = bus.onEvery((name, payload) => seen.push([name, payload]));
    bus.emit('vm.removed', { id: 'alpha' });
    stop();
    bus.emit('vm.removed', { id: 'beta' });
    expect(seen).toEqual([['vm.removed', { id: 'alpha' }]]);
  });
});

describe('forwardDomainEvents', () => {
  it('puts every domain event on the wire under its name until stopped', () => {
    const domain = new DomainEventBus();
    const wire = new EventBus();
    const seen: unknown[] = [];
    wire.subscribe((name, payload) => seen.push([name, payload]));
    const stop = forwardDomainEvents(domain, wire);
    domain.emit('vm.removed', { id: 'alpha' });
    domain.emit('disk.progress', { path: '/tmp/a.qcow2', percent: 100 });
    stop();
    domain.emit('vm.removed', { id: 'beta' });
    expect(seen).toEqual([
      ['vm.removed', { id: 'alpha' }],
      ['disk.progress', { path: '/tmp/a.qcow2', percent: 100 }],
    ]);
  });

  it('refuses on the way out a payload outside the contract, so no front receives it', () => {
    const domain = new DomainEventBus();
    const wire = new EventBus();
    const listener = vi.fn();
    wire.subscribe(listener);
    forwardDomainEvents(domain, wire);
    expect(() => domain.emit('vm.removed', { id: 42 } as unknown as EventPayload<'vm.removed'>)).toThrow();
    expect(listener).not.toHaveBeenCalled();
  });
});
