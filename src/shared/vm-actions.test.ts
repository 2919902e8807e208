import { describe, expect, it } from 'vitest';
import { VmState } from './vm-spec';
import {
  canEdit,
  canForceOff,
  canPause,
  canReset,
  canResume,
  canShutDown,
  canStart,
  hasLiveConsole,
  isDown,
  isLive,
  isUp,
} from './vm-actions';

const allowed = (predicate: (s: VmState) => boolean) => VmState.options.filter(predicate);

describe('vm actions by state', () => {
  it('matches the life cycle', () => {
    expect(allowed(canStart)).toEqual(['stopped', 'crashed']);
    expect(allowed(canShutDown)).toEqual(['running', 'paused']);
    expect(allowed(canForceOff)).toEqual(['starting', 'running', 'paused', 'stopping']);
    expect(allowed(canPause)).toEqual(['running']);
    expect(allowed(canResume)).toEqual(['paused']);
    expect(allowed(canEdit)).toEqual(['stopped', 'crashed']);
    expect(allowed(hasLiveConsole)).toEqual(['running', 'paused']);
  });

  it('splits every state into down or up, and live ones are up', () => {
    for (const state of VmState.options) expect(isDown(state)).toBe(!isUp(state));
    expect(allowed(isLive).every(isUp)).toBe(true);
    expect(allowed(canReset)).toEqual(allowed(isLive));
  });
});
