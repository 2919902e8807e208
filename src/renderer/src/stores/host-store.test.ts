import { describe, expect, it, vi } from 'vitest';
import { connectReconnecting } from '../transport/connect';
import { fakeBackend } from './fake-backend';
import { createHostStore } from './host-store';

const info = {
  accelerator: 'tcg',
  acceleratorReason: 'no /dev/kvm',
  qemu: { path: '/usr/bin/qemu-system-x86_64', version: '9.2.0' },
  configDir: '/c',
  runtimeDir: '/r',
  dataDir: '/d',
  backendPid: 1,
  host: { root: '/', simulated: null },
};

describe('host store', () => {
  it('reads host.info on connect, without waiting for the doctor, and again after a reconnection', async () => {
    let doctorCalls = 0;
    let infoCalls = 0;
    const backend = fakeBackend({
      'host.info': () => {
        infoCalls++;
        return { ok: true, value: { ...info, dataDir: `/d${infoCalls}` } };
      },
      // The doctor never answers well here: host.info stands on its own.
      'host.doctor': () => {
        doctorCalls++;
        return { ok: false, error: { code: 'INTERNAL', message: 'doctor failed' } };
      },
    });
    const store = createHostStore(connectReconnecting(backend.open, { initialDelayMs: 5, maxDelayMs: 20 }));
    await vi.waitFor(() => expect(store.getState().info?.dataDir).toBe('/d1'));
    expect(store.getState().info?.accelerator).toBe('tcg');
    await vi.waitFor(() => expect(store.getState().error).toBe('doctor failed'));

    backend.drop(true);
    backend.allow();
    await vi.waitFor(() => expect(store.getState().info?.dataDir).toBe('/d2'));
    expect(doctorCalls).toBe(2);
  });
});
