import { describe, expect, it } from 'vitest';
import { VmState } from '../../../../shared/vm-spec';
import {
  canEdit,
  canForceOff,
  canPause,
  canResume,
  canShutDown,
  canStart,
  hasLiveConsole,
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
});
