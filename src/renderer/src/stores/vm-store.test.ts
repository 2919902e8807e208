import { describe, expect, it, vi } from 'vitest';
import type { CallName } from '../../../shared/contract';
import { createMemoryTransportPair } from '../../../shared/memory-transport';
import type { VmInfo } from '../../../shared/vm-spec';
import { vmInfo } from './vm-fixture';
import { CallMessage, type Envelope, type Transport } from '../../../shared/wire';
import { connectReconnecting } from '../transport/connect';
import { createVmStore } from './vm-store';

type Answer = Envelope<unknown>;
const noHandler: Answer = { ok: false, error: { code: 'INTERNAL', message: 'no handler' } };

/** A stand-in backend on memory transports: answers calls from `answers`, can push events and drop. */
function fakeBackend(answers: Partial<Record<CallName, (params: { id?: string }) => Answer>>) {
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

const host = {
  accelerator: 'tcg',
  acceleratorReason: 'no /dev/kvm',
  qemu: { path: '/usr/bin/qemu-system-x86_64', version: '9.2.0' },
  configDir: '/c',
  runtimeDir: '/r',
  dataDir: '/d',
  backendPid: 1,
};

describe('vm store', () => {
  it('loads host and VMs on connect and follows vm.changed / vm.removed', async () => {
    const backend = fakeBackend({
      'host.info': () => ({ ok: true, value: host }),
      'vm.list': () => ({
        ok: true,
        value: {
          vms: [vmInfo('b', 'stopped'), vmInfo('a', 'running')],
          invalid: [{ file: 'x.json', reason: 'bad' }],
        },
      }),
    });
    const store = createVmStore(connectReconnecting(backend.open));
    await vi.waitFor(() => expect(store.getState().vms?.map((v) => v.id)).toEqual(['a', 'b']));
    expect(store.getState().host?.accelerator).toBe('tcg');
    expect(store.getState().invalid).toEqual([{ file: 'x.json', reason: 'bad' }]);

    backend.emit('vm.changed', { vm: vmInfo('b', 'running') });
    backend.emit('vm.changed', { vm: vmInfo('c', 'stopped') });
    backend.emit('vm.removed', { id: 'a' });
    await vi.waitFor(() =>
      expect(store.getState().vms?.map((v) => [v.id, v.state])).toEqual([
        ['b', 'running'],
        ['c', 'stopped'],
      ]),
    );
  });

  it('keeps a failed action on the VM instead of rejecting', async () => {
    const backend = fakeBackend({
      'host.info': () => ({ ok: true, value: host }),
      'vm.list': () => ({ ok: true, value: { vms: [vmInfo('a', 'stopped')], invalid: [] } }),
      'vm.start': () => ({ ok: false, error: { code: 'QEMU_FAILED', message: 'no such disk' } }),
    });
    const store = createVmStore(connectReconnecting(backend.open));
    await vi.waitFor(() => expect(store.getState().vms).toHaveLength(1));

    await expect(store.getState().start('a')).resolves.toBeUndefined();
    expect(store.getState().errors['a']).toEqual({ action: 'start', message: 'no such disk' });
    expect(store.getState().busy['a']).toBeUndefined();
  });

  it('reports the loss, reconnects with backoff and re-reads the list', async () => {
    let state: VmInfo['state'] = 'running';
    const backend = fakeBackend({
      'host.info': () => ({ ok: true, value: host }),
      'vm.list': () => ({ ok: true, value: { vms: [vmInfo('a', state)], invalid: [] } }),
    });
    const store = createVmStore(connectReconnecting(backend.open, { initialDelayMs: 5, maxDelayMs: 20 }));
    await vi.waitFor(() => expect(store.getState().vms?.[0]?.state).toBe('running'));

    backend.drop(true);
    await vi.waitFor(() => expect(store.getState().connection).toBe('disconnected'));
    await store.getState().kill('a');
    expect(store.getState().errors['a']?.message).toMatch(/not connected/);

    // The VM stopped while we were away; the event is lost, so only a fresh list can tell.
    state = 'stopped';
    backend.allow();
    await vi.waitFor(() => expect(store.getState().connection).toBe('connected'));
    await vi.waitFor(() => expect(store.getState().vms?.[0]?.state).toBe('stopped'));
  });
});
