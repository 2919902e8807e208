import { describe, expect, it } from 'vitest';
import { extractGlobalOptions } from './global-options';
import { UsageError } from './parse-options';

describe('extractGlobalOptions', () => {
  it('takes the host options from before or after the command', () => {
    expect(extractGlobalOptions(['--simulate', 'adl-p', 'doctor', '--json'])).toEqual({
      options: { simulate: 'adl-p' },
      rest: ['doctor', '--json'],
    });
    expect(extractGlobalOptions(['gpu', 'list', '--host-root=/tmp/h', '--json'])).toEqual({
      options: { hostRoot: '/tmp/h' },
      rest: ['gpu', 'list', '--json'],
    });
  });

  it('leaves everything after -- alone', () => {
    expect(extractGlobalOptions(['vm', 'create', 'x', '--', '--simulate', 'y'])).toEqual({
      options: {},
      rest: ['vm', 'create', 'x', '--', '--simulate', 'y'],
    });
  });

  it.each([
    [['doctor', '--simulate'], '--simulate needs a value: --simulate NAME'],
    [['doctor', '--host-root', '--json'], '--host-root needs a value: --host-root DIR'],
    [['--host-root=', 'doctor'], '--host-root needs a value: --host-root DIR'],
    [['--simulate', 'a', '--simulate', 'b'], '--simulate is given twice'],
  ])('refuses %j', (argv, message) => {
    expect(() => extractGlobalOptions(argv)).toThrow(new UsageError(message));
  });
});
