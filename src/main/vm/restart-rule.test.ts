import { describe, expect, it } from 'vitest';
import { GIVE_UP_DEFAULT } from '../../shared/kiosk';
import { decideRestart, MAX_BACKOFF_MS, STABLE_RUN_MS, type EndedRun } from './restart-rule';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const fresh = { endings: [], restarts: 0 };
/** A run that started at T0 and ended `upMs` later. */
const run = (upMs: number, how: Partial<EndedRun> = {}): EndedRun => ({
  clean: false,
  requested: false,
  startedAt: T0,
  endedAt: T0 + upMs,
  ...how,
});

describe('decideRestart', () => {
  it('follows the policy: never leaves off, on-crash restarts after a crash only, always after any end', () => {
    const crash = run(1000);
    const powerOff = run(1000, { clean: true });
    expect(decideRestart('never', crash, fresh, GIVE_UP_DEFAULT).kind).toBe('leave-off');
    expect(decideRestart('on-crash', crash, fresh, GIVE_UP_DEFAULT).kind).toBe('restart');
    expect(decideRestart('on-crash', powerOff, fresh, GIVE_UP_DEFAULT).kind).toBe('leave-off');
    expect(decideRestart('always', powerOff, fresh, GIVE_UP_DEFAULT).kind).toBe('restart');
    expect(decideRestart('always', crash, fresh, GIVE_UP_DEFAULT).kind).toBe('restart');
  });

  it('never restarts a stop the user asked for, whatever the policy', () => {
    const asked = run(1000, { clean: true, requested: true });
    expect(decideRestart('always', asked, fresh, GIVE_UP_DEFAULT).kind).toBe('leave-off');
    expect(decideRestart('on-crash', { ...asked, clean: false }, fresh, GIVE_UP_DEFAULT).kind).toBe(
      'leave-off',
    );
  });

  it('doubles the delay for each quick end, up to the most, and counts the end', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((restarts) => {
      const d = decideRestart(
        'on-crash',
        run(1000),
        { endings: [], restarts },
        { crashes: 100, windowMinutes: 10 },
      );
      if (d.kind !== 'restart') throw new Error(`expected a restart, got ${d.kind}`);
      expect(d.attempt).toBe(restarts + 1);
      expect(d.endings).toEqual([T0 + 1000]);
      return d.delayMs;
    });
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
  });

  it('starts the back-off again after a run that stayed up (min uptime)', () => {
    const d = decideRestart('on-crash', run(STABLE_RUN_MS), { endings: [], restarts: 4 }, GIVE_UP_DEFAULT);
    expect(d).toMatchObject({ kind: 'restart', attempt: 1, delayMs: 1000 });
    const quick = decideRestart(
      'on-crash',
      run(STABLE_RUN_MS - 1),
      { endings: [], restarts: 4 },
      GIVE_UP_DEFAULT,
    );
    expect(quick).toMatchObject({ kind: 'restart', attempt: 5, delayMs: 16000 });
  });

  it('gives up at the limit of ends within the window, counting only ends inside it', () => {
    const limit = { crashes: 3, windowMinutes: 10 };
    const end = T0 + 1000;
    const inWindow = [end - 9 * 60_000, end - 60_000];
    const d = decideRestart('always', run(1000), { endings: inWindow, restarts: 2 }, limit);
    expect(d).toEqual({
      kind: 'give-up',
      endings: [...inWindow, end],
      message: 'gave up after 3 ends within 10 min',
    });
    // The oldest end fell out of the window: two ends in it, one restart more.
    const old = [end - 10 * 60_000, end - 60_000];
    expect(decideRestart('always', run(1000), { endings: old, restarts: 2 }, limit)).toMatchObject({
      kind: 'restart',
      endings: [end - 60_000, end],
    });
  });

  it('says "1 end" when the limit is one', () => {
    const d = decideRestart('always', run(1000), fresh, { crashes: 1, windowMinutes: 5 });
    expect(d).toMatchObject({ kind: 'give-up', message: 'gave up after 1 end within 5 min' });
  });
});
