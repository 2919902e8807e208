import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ZodIssue } from 'zod';
import { createClient, type Client } from '../../shared/client';
import type { EventPayload, ParsedCallInput } from '../../shared/contract';
import { TesseraError } from '../../shared/errors';
import { createMemoryTransportPair } from '../../shared/memory-transport';
import type { Transport } from '../../shared/wire';
import type { VmInfo } from '../../shared/vm-spec';
import { testVmInfo } from '../../../tests/support/vm-info';
import { EventBus, createDispatcher, serveTransport, type Handlers } from './dispatcher';

const vmInfo = (id = 'alpha'): VmInfo => testVmInfo(id);

/** Only the handlers a test needs; the cast stays here, in the test. */
function handlers(partial: Partial<Handlers>): Handlers {
  return partial as Handlers;
}

describe('createDispatcher', () => {
  it('answers an unknown call with BAD_INPUT', async () => {
    const dispatcher = createDispatcher(handlers({}));
    expect(await dispatcher.dispatch('vm.explode', {})).toEqual({
      ok: false,
      error: { code: 'BAD_INPUT', message: 'unknown call "vm.explode"' },
    });
    expect(await dispatcher.dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    // Names inherited from Object.prototype are not calls.
    expect(await dispatcher.dispatch('toString', {})).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
  });

  it('answers invalid params with BAD_INPUT and a readable path: message', async () => {
    const get = vi.fn<Handlers['vm.get']>();
    const dispatcher = createDispatcher(handlers({ 'vm.get': get, 'vm.log': vi.fn<Handlers['vm.log']>() }));

    const result = await dispatcher.dispatch('vm.get', { id: '../etc/passwd' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_INPUT');
    expect(result.error.message).toMatch(/^id: a VM name is 1 to 48 letters/);
    expect((result.error.details as ZodIssue[])[0]?.path).toEqual(['id']);

    const log = await dispatcher.dispatch('vm.log', { id: 'alpha', lines: 0 });
    expect(log).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringMatching(/^lines: /) },
    });

    // Missing params are an empty object, so the required id is what is reported.
    const missing = await dispatcher.dispatch('vm.get', undefined);
    expect(missing).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringMatching(/^id: /) },
    });
    expect(get).not.toHaveBeenCalled();
  });

  it('passes parsed input to the handler and its value back', async () => {
    const info = vmInfo();
    const get = vi.fn<Handlers['vm.get']>().mockResolvedValue(info);
    const dispatcher = createDispatcher(handlers({ 'vm.get': get }), { validateOutputs: true });
    expect(await dispatcher.dispatch('vm.get', { id: 'alpha' })).toEqual({ ok: true, value: info });
    expect(get).toHaveBeenCalledWith({ id: 'alpha' });
  });

  it('applies input defaults before calling the handler', async () => {
    const seen: ParsedCallInput<'vm.stop'>[] = [];
    const dispatcher = createDispatcher(
      handlers({
        'vm.stop': (input) => {
          seen.push(input);
          return Promise.resolve(vmInfo(input.id));
        },
      }),
    );
    await dispatcher.dispatch('vm.stop', { id: 'alpha' });
    await dispatcher.dispatch('vm.stop', { id: 'alpha', timeoutSeconds: 5 });
    expect(seen).toEqual([
      { id: 'alpha', timeoutSeconds: 60 },
      { id: 'alpha', timeoutSeconds: 5 },
    ]);
  });

  it("keeps a TesseraError's code, message and details", async () => {
    const onInternalError = vi.fn();
    const dispatcher = createDispatcher(
      handlers({
        'vm.start': () =>
          Promise.reject(new TesseraError('QEMU_FAILED', 'QEMU failed to start', { logTail: ['boom'] })),
        'vm.delete': () => Promise.reject(new TesseraError('INVALID_STATE', "VM 'alpha' is running")),
      }),
      { onInternalError },
    );
    expect(await dispatcher.dispatch('vm.start', { id: 'alpha' })).toEqual({
      ok: false,
      error: { code: 'QEMU_FAILED', message: 'QEMU failed to start', details: { logTail: ['boom'] } },
    });
    expect(await dispatcher.dispatch('vm.delete', { id: 'alpha' })).toEqual({
      ok: false,
      error: { code: 'INVALID_STATE', message: "VM 'alpha' is running" },
    });
    expect(onInternalError).not.toHaveBeenCalled();
  });

  it('turns a plain Error into INTERNAL and reports it', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'pid')");
    const onInternalError = vi.fn();
    const dispatcher = createDispatcher(
      handlers({
        'vm.kill': () => Promise.reject(bug),
        // A synchronous throw from a handler is caught the same way.
        'vm.reset': () => {
          throw new Error('sync boom');
        },
      }),
      { onInternalError },
    );
    expect(await dispatcher.dispatch('vm.kill', { id: 'alpha' })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: "Cannot read properties of undefined (reading 'pid')" },
    });
    expect(onInternalError).toHaveBeenCalledWith('vm.kill', bug);
    expect(await dispatcher.dispatch('vm.reset', { id: 'alpha' })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'sync boom' },
    });
    expect(onInternalError).toHaveBeenCalledTimes(2);
  });

  it('catches a handler that returns a value outside the contract when validateOutputs is on', async () => {
    const drifting = handlers({
      'vm.args': () =>
        Promise.resolve({ argv: 'qemu-system-x86_64 -m 1024' } as unknown as { argv: string[] }),
    });
    const strict = await createDispatcher(drifting, { validateOutputs: true }).dispatch('vm.args', {
      id: 'a',
    });
    expect(strict).toMatchObject({
      ok: false,
      error: {
        code: 'INTERNAL',
        message: expect.stringMatching(/^vm\.args returned a value outside the contract: argv: /),
      },
    });
    // Off by default: the value goes out as is.
    const lax = await createDispatcher(drifting).dispatch('vm.args', { id: 'a' });
    expect(lax).toEqual({ ok: true, value: { argv: 'qemu-system-x86_64 -m 1024' } });
  });
});

describe('EventBus', () => {
  it('delivers validated payloads to subscribers until they unsubscribe', () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    const unsubscribe = bus.subscribe((name, payload) => seen.push([name, payload]));
    bus.emit('vm.removed', { id: 'alpha' });
    unsubscribe();
    bus.emit('vm.removed', { id: 'beta' });
    expect(seen).toEqual([['vm.removed', { id: 'alpha' }]]);
  });

  it('throws on a payload outside the contract and delivers nothing', () => {
    const bus = new EventBus();
    const listener = vi.fn();
    bus.subscribe(listener);
    expect(() => bus.emit('vm.removed', { id: 42 } as unknown as EventPayload<'vm.removed'>)).toThrow();
    expect(() =>
      bus.emit('vm.changed', {
        vm: { ...vmInfo(), state: 'dancing' },
      } as unknown as EventPayload<'vm.changed'>),
    ).toThrow();
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('serveTransport with createClient', () => {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups) c();
    cleanups = [];
  });

  function connect(h: Partial<Handlers>): {
    client: Client;
    bus: EventBus;
    server: Transport;
    clientSide: Transport;
  } {
    const [clientSide, server] = createMemoryTransportPair();
    const bus = new EventBus();
    const stop = serveTransport(server, createDispatcher(handlers(h), { validateOutputs: true }), bus);
    const client = createClient(clientSide);
    cleanups.push(stop, () => client.close());
    return { client, bus, server, clientSide };
  }

  it('answers calls and rethrows errors as TesseraError with their code', async () => {
    const { client } = connect({
      'vm.get': ({ id }) =>
        id === 'alpha'
          ? Promise.resolve(vmInfo())
          : Promise.reject(new TesseraError('NOT_FOUND', `no VM named '${id}'`)),
    });
    expect(await client.call('vm.get', { id: 'alpha' })).toEqual(vmInfo());
    const error = await client.call('vm.get', { id: 'beta' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: "no VM named 'beta'" });
  });

  it('forwards bus events to the client', async () => {
    const { client, bus } = connect({});
    const received = new Promise<EventPayload<'vm.changed'>>((resolve) => client.on('vm.changed', resolve));
    const info = { ...vmInfo(), state: 'running' as const, pid: 4242 };
    bus.emit('vm.changed', { vm: info });
    expect(await received).toEqual({ vm: info });
  });

  it('stops delivering to a handler once the client unsubscribes', async () => {
    const { client, bus } = connect({});
    const removed = vi.fn();
    const off = client.on('vm.removed', removed);
    // A second listener tells when an event has arrived.
    const arrivals: string[] = [];
    client.on('vm.removed', ({ id }) => arrivals.push(id));

    bus.emit('vm.removed', { id: 'one' });
    await expect.poll(() => arrivals).toEqual(['one']);
    off();
    bus.emit('vm.removed', { id: 'two' });
    await expect.poll(() => arrivals).toEqual(['one', 'two']);
    expect(removed).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledWith({ id: 'one' });
  });

  it('rejects pending calls with UNAVAILABLE when the transport closes', async () => {
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const { client, server, bus } = connect({
      'vm.start': () => {
        started();
        return new Promise<never>(() => {}); // QEMU never answers
      },
    });
    const pending = client.call('vm.start', { id: 'alpha' });
    await handlerStarted;
    server.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    // The served side stopped listening to the bus: emitting now does not throw.
    expect(() => bus.emit('vm.removed', { id: 'alpha' })).not.toThrow();
    // And a new call fails at once.
    await expect(client.call('vm.get', { id: 'alpha' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  // Shrunk from tests/integration/fuzz-rpc.test.ts: these were dropped unanswered, and the caller waited for ever.
  it('answers a call without params, and a broken call that has an id, with BAD_INPUT', async () => {
    const { clientSide } = connect({ 'vm.get': () => Promise.resolve(vmInfo()) });
    const answers: unknown[] = [];
    clientSide.onMessage((m) => answers.push(m));
    const send = (message: unknown) => clientSide.send(message as never);
    send({ type: 'call', id: 1, method: 'vm.get' });
    send({ type: 'call', id: 2, method: 42, params: {} });
    send({ type: 'call', id: 3.5, method: 'vm.get' }); // no usable id: nobody to answer
    send({ type: 'event', id: 4, name: 'vm.get' });
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    // The broken call is answered at once, the dispatched one a microtask later.
    expect(answers.sort((x, y) => (x as { id: number }).id - (y as { id: number }).id)).toEqual([
      {
        type: 'result',
        id: 1,
        result: {
          ok: false,
          error: expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringMatching(/^id: /) }),
        },
      },
      {
        type: 'result',
        id: 2,
        result: {
          ok: false,
          error: { code: 'BAD_INPUT', message: expect.stringMatching(/^not a valid call: method: /) },
        },
      },
    ]);
  });

  it('answers with the error when a forwarding dispatcher rejects, instead of leaving it unhandled', async () => {
    const [clientSide, server] = createMemoryTransportPair();
    const stop = serveTransport(
      server,
      { dispatch: () => Promise.reject(new RangeError('too deep')) },
      new EventBus(),
    );
    const client = createClient(clientSide);
    cleanups.push(stop, () => client.close());
    await expect(client.call('vm.list', {})).rejects.toMatchObject({ code: 'INTERNAL', message: 'too deep' });
  });

  it('rejects pending calls with UNAVAILABLE when the client closes', async () => {
    const { client } = connect({ 'vm.pause': () => new Promise<never>(() => {}) });
    const pending = client.call('vm.pause', { id: 'alpha' });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
