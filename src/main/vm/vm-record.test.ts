import { describe, expect, it, vi } from 'vitest';
import type { GpuLeaseInfo } from '../../shared/vm-spec';
import { spec as fixture } from './qemu-args-fixtures';
import { endRun, newRecord, planRestart, vmInfoOf } from './vm-record';
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

describe('planRestart', () => {
  const end = { clean: false, requested: false, message: 'QEMU crashed', logTail: ['boom'] };

  it('a give-up says why and after what, until a start by hand', () => {
    const record = newRecord('crashed');
    planRestart(
      record,
      { kind: 'give-up', endings: [1, 2], message: 'gave up after 2 ends within 5 min' },
      end,
      3,
      () => {
        throw new Error('no restart after a give-up');
      },
    );
    expect(record).toMatchObject({ gaveUp: true, endings: [1, 2] });
    expect(record.lastError).toEqual({
      message: 'gave up after 2 ends within 5 min (last: QEMU crashed); start it again by hand',
      logTail: ['boom'],
    });
    expect(record.restartTimer).toBeUndefined();
  });

  it('a restart shows when it fires, then counts the attempt and restarts', () => {
    vi.useFakeTimers();
    try {
      const record = newRecord('crashed');
      let restarted = 0;
      planRestart(
        record,
        { kind: 'restart', endings: [0], attempt: 2, delayMs: 2000 },
        end,
        0,
        () => restarted++,
      );
      expect(record.restartAt).toBe(new Date(2000).toISOString());
      vi.advanceTimersByTime(1999);
      expect(restarted).toBe(0);
      vi.advanceTimersByTime(1);
      expect(restarted).toBe(1);
      expect(record.restarts).toBe(2);
      expect(record.restartAt).toBeUndefined();
      expect(record.restartTimer).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
