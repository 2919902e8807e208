import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../../shared/errors';
import { failureOf } from './failure';

describe('failureOf', () => {
  it('reads field issues from zod details and from { issues } details', () => {
    const issue = { path: ['disks', 0, 'path'], message: 'no such file' };
    expect(failureOf(new TesseraError('BAD_INPUT', 'x', [{ ...issue, code: 'custom' }])).issues).toEqual([
      issue,
    ]);
    expect(failureOf(new TesseraError('BAD_INPUT', 'x', { issues: [issue] })).issues).toEqual([issue]);
  });

  it('keeps code and message, and has no issues when the details are something else', () => {
    expect(failureOf(new TesseraError('CONFLICT', 'taken', { problems: ['a'] }))).toEqual({
      code: 'CONFLICT',
      message: 'taken',
      issues: [],
    });
    expect(failureOf(new Error('boom'))).toEqual({ code: 'UNKNOWN', message: 'boom', issues: [] });
  });
});
