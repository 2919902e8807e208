import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './use-console-session';

describe('retryDelayMs', () => {
  it('doubles from half a second and settles at five', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});
