import { describe, expect, it } from 'vitest';
import type { GpuLeaseInfo } from '../../shared/vm-spec';
import { spec as fixture } from './qemu-args-fixtures';
import { endRun, newRecord, vmInfoOf } from './vm-record';
import type { VmRunner } from './vm-runner';

const spec = fixture({ name: 'alpha' });
const lease: GpuLeaseInfo = { kind: 'vf', device: '0000:00:02.1', simulated: true };

describe('vmInfoOf and endRun', () => {
  it('shows what belongs to a run only while it runs, and clears it when the run ends', () => {
    const record = newRecord();
    expect(vmInfoOf(spec, record, { gpuLease: null, usbAttached: null })).toEqual({
      id: 'alpha',
      spec,
      state: 'stopped',
      since: record.since,
      restarts: 0,
    });
    record.runner = { pid: 4242 } as VmRunner;
    record.state = 'running';
    record.accelerator = { accelerator: 'tcg', reason: 'a test' };
    record.warning = 'no sign of life';
    const running = vmInfoOf(spec, record, { gpuLease: lease, usbAttached: ['3-1.1'] });
    expect(running).toMatchObject({
      state: 'running',
      pid: 4242,
      gpuLease: lease,
      usbAttached: ['3-1.1'],
      accelerator: { accelerator: 'tcg' },
      warning: 'no sign of life',
    });
    endRun(record, { clean: false, requested: false, message: 'QEMU crashed', logTail: ['boom'] });
    const ended = vmInfoOf(spec, record, { gpuLease: null, usbAttached: null });
    expect(ended.state).toBe('crashed');
    expect(ended.lastError).toEqual({ message: 'QEMU crashed', logTail: ['boom'] });
    expect(ended).not.toHaveProperty('pid');
    expect(ended).not.toHaveProperty('accelerator');
    expect(ended).not.toHaveProperty('warning');
  });

  it('a clean end is stopped and keeps the last error it had', () => {
    const record = { ...newRecord('crashed'), lastError: { message: 'before', logTail: [] } };
    endRun(record, { clean: true, requested: true, message: 'stopped', logTail: [] });
    expect(record.state).toBe('stopped');
    expect(record.lastError?.message).toBe('before');
  });
});
