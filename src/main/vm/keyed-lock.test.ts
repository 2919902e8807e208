import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  it('runs one piece of work per key at a time, in order, past failures, and others alongside', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const first = lock.run('a', async () => {
      log.push('a1 start');
      await held;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = lock.run('a', async () => {
      log.push('a2');
      return 2;
    });
    const other = lock.run('b', async () => {
      log.push('b');
      return 'b';
    });
    expect(await other).toBe('b');
    expect(lock.busy()).toHaveLength(1);
    release();
    await expect(first).rejects.toThrow('a1 failed');
    expect(await second).toBe(2);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    expect(lock.busy()).toEqual([]);
  });
});
