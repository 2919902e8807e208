import { describe, expect, it } from 'vitest';
import { formatResetSchedule, parseResetSchedule } from '../../shared/images';
import { isDue, nextResetMs } from './reset-schedule';

describe('reset schedules', () => {
  it.each(['off', 'on-stop', 'daily@03:00', 'every:4h', 'every:90m', 'idle:2m', 'idle:30s'])(
    '%s reads and writes back',
    (text) => {
      expect(formatResetSchedule(parseResetSchedule(text))).toBe(text);
    },
  );

  it('says what is accepted', () => {
    expect(() => parseResetSchedule('hourly')).toThrow(/write off, on-stop, daily@HH:MM/);
    expect(() => parseResetSchedule('daily@25:00')).toThrow(/not a time of day/);
    expect(() => parseResetSchedule('every:30s')).toThrow(/at least every minute/);
    expect(() => parseResetSchedule('idle:2s')).toThrow(/at least 5 seconds/);
  });

  const base = { lastResetMs: 1_000_000, lastInputMs: null, running: true, nowMs: 1_000_000 };

  it('idle fires a fixed time after the last input, only while running and only after input since the reset', () => {
    const idle = parseResetSchedule('idle:10s');
    expect(nextResetMs(idle, base)).toBeNull();
    const touched = { ...base, lastInputMs: 1_005_000 };
    expect(nextResetMs(idle, touched)).toBe(1_015_000);
    expect(isDue(idle, { ...touched, nowMs: 1_014_999 })).toBe(false);
    expect(isDue(idle, { ...touched, nowMs: 1_015_000 })).toBe(true);
    expect(isDue(idle, { ...touched, running: false, nowMs: 2_000_000 })).toBe(false);
    expect(isDue(idle, { ...touched, lastResetMs: 1_006_000, nowMs: 2_000_000 })).toBe(false);
  });

  it('every counts from the last reset; daily is the next local time after it', () => {
    expect(nextResetMs(parseResetSchedule('every:1h'), base)).toBe(1_000_000 + 3_600_000);
    const last = new Date(2026, 11, 2, 2, 0).getTime();
    expect(nextResetMs(parseResetSchedule('daily@03:00'), { ...base, lastResetMs: last })).toBe(
      new Date(2026, 11, 2, 3, 0).getTime(),
    );
    const after = new Date(2026, 11, 2, 3, 0).getTime();
    expect(nextResetMs(parseResetSchedule('daily@03:00'), { ...base, lastResetMs: after })).toBe(
      new Date(2026, 11, 3, 3, 0).getTime(),
    );
    expect(nextResetMs(parseResetSchedule('on-stop'), base)).toBeNull();
  });
});
