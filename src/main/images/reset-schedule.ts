import type { ResetSchedule } from '../../shared/images';

export interface ScheduleFacts {
  /** When the VM was last reset, or bound to its image when it never was (ms). */
  lastResetMs: number;
  /** The last console input the guest got (ms), if any since the backend started. */
  lastInputMs: number | null;
  running: boolean;
  nowMs: number;
}

/** The first local HH:MM strictly after `afterMs`. */
function nextDaily(hour: number, minute: number, afterMs: number): number {
  const at = new Date(afterMs);
  at.setHours(hour, minute, 0, 0);
  if (at.getTime() <= afterMs) at.setDate(at.getDate() + 1);
  return at.getTime();
}

/**
 * When the schedule resets the VM next (ms), or null when it does not by time. Pure, so the
 * service's one-second tick and the cards' "next reset" agree.
 * - daily: the first HH:MM after the last reset (a reset missed while no backend ran happens
 *   once, when one runs again);
 * - every: a fixed time after the last reset;
 * - idle: while the VM runs, a fixed time after the last input, but only when there was input
 *   since the last reset: a VM nobody touched is still clean, and is not reset over and over.
 */
export function nextResetMs(schedule: ResetSchedule, facts: ScheduleFacts): number | null {
  switch (schedule.kind) {
    case 'off':
    case 'on-stop':
      return null;
    case 'daily':
      return nextDaily(schedule.hour, schedule.minute, facts.lastResetMs);
    case 'every':
      return facts.lastResetMs + schedule.seconds * 1000;
    case 'idle':
      if (!facts.running || facts.lastInputMs === null || facts.lastInputMs <= facts.lastResetMs) return null;
      return facts.lastInputMs + schedule.seconds * 1000;
  }
}

export function isDue(schedule: ResetSchedule, facts: ScheduleFacts): boolean {
  const next = nextResetMs(schedule, facts);
  return next !== null && next <= facts.nowMs;
}
