import { describe, expect, it } from 'vitest';
import { coalesced } from './coalesced';

describe('coalesced', () => {
  it('runs once more after a burst, never two reads at once', async () => {
    let inside = 0;
    let most = 0;
    let reads = 0;
    const release: Array<() => void> = [];
    const refresh = coalesced(async () => {
      inside++;
      most = Math.max(most, inside);
      reads++;
      await new Promise<void>((resolve) => release.push(resolve));
      inside--;
    });
    const calls = [refresh(), refresh(), refresh(), refresh()];
    await Promise.resolve();
    release.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
    release.shift()?.();
    await Promise.all(calls);
    expect(reads).toBe(2);
    expect(most).toBe(1);
  });

  it('reads again for an event that arrives while the last read runs', async () => {
    let reads = 0;
    let release: (() => void) | undefined;
    const refresh = coalesced(async () => {
      reads++;
      if (reads === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = refresh();
    await Promise.resolve();
    const second = refresh();
    release?.();
    await Promise.all([first, second]);
    expect(reads).toBe(2);
    await refresh();
    expect(reads).toBe(3);
  });
});
