import { describe, expect, it, vi } from 'vitest';
import type { VmInfo } from '../../../shared/vm-spec';
import { vmInfo } from './vm-fixture';
import { connectReconnecting } from '../transport/connect';
import { createVmStore } from './vm-store';
import { fakeBackend } from './fake-backend';

describe('vm store', () => {
  it('loads the VMs on connect and follows vm.changed / vm.removed', async () => {
    const backend = fakeBackend({
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
