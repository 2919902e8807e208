import { describe, expect, it } from 'vitest';
import { isBdf, vfAddress } from './pci-address';

describe('vfAddress', () => {
  it('counts routing ids from the PF with offset and stride, across device numbers (ARI)', () => {
    expect(vfAddress('0000:00:02.0', 1, 1, 1)).toBe('0000:00:02.1');
    expect(vfAddress('0000:00:02.0', 7, 1, 1)).toBe('0000:00:02.7');
    expect(vfAddress('0000:4d:00.0', 8, 1, 1)).toBe('0000:4d:01.0'); // docs/sriov-sysfs.md#flex-170-with-two-vfs: VF8 would be 0000:4d:01.0
    expect(vfAddress('0000:ff:1f.7', 2, 1, 1)).toBeNull();
  });
});

describe('isBdf', () => {
  it.each(['0000:00:02.0', '0000:4d:1f.7'])('accepts %s', (text) => expect(isBdf(text)).toBe(true));
  it.each(['00:02.0', '0000:00:02.8', '0000:00:20.0', '0000:00:02.0\n', '0000:00:02.0/..', 'ABCD:00:02.0'])(
    'refuses %j',
    (text) => expect(isBdf(text)).toBe(false),
  );
});
