import { describe, expect, it } from 'vitest';
import { kernelParam, parseProcModules } from './kernel-facts';
import { parseCapIpcLock, parseMemlock, readMemlock } from './machine-facts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max locked memory         8388608              8388608              bytes
Max address space         unlimited            unlimited            bytes
`;

describe('parseMemlock', () => {
  it('reads soft and hard RLIMIT_MEMLOCK from /proc/self/limits', () => {
    expect(parseMemlock(LIMITS)).toEqual({ softBytes: 8388608, hardBytes: 8388608 });
  });
  it('reads unlimited as null', () => {
    expect(
      parseMemlock(LIMITS.replace('8388608              8388608', 'unlimited            unlimited')),
    ).toEqual({
      softBytes: null,
      hardBytes: null,
    });
  });
  it('returns null when the line is not there', () => {
    expect(parseMemlock('Limit Soft Hard Units\n')).toBeNull();
  });
});

describe('parseCapIpcLock', () => {
  it('tests bit 14 of CapEff', () => {
    expect(parseCapIpcLock('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(true);
    expect(parseCapIpcLock('CapEff:\t0000000000000000\n')).toBe(false);
    expect(parseCapIpcLock('CapEff:\t0000000000004000\n')).toBe(true);
    expect(parseCapIpcLock('nothing')).toBe(false);
  });
});

describe('readMemlock', () => {
  it('combines both files, and is null when they cannot be read', () => {
    const files: Record<string, string> = {
      '/proc/self/limits': LIMITS,
      '/proc/self/status': 'CapEff:\t0\n',
    };
    expect(readMemlock((p) => files[p] ?? '')).toEqual({
      softBytes: 8388608,
      hardBytes: 8388608,
      capIpcLock: false,
    });
    expect(
      readMemlock(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });
  it('reads this process', () => {
    expect(readMemlock()).toMatchObject({ capIpcLock: expect.any(Boolean) });
  });
});

describe('kernel command line and modules', () => {
  it('finds parameters, the last one winning, and stops at --', () => {
    const cmdline =
      'BOOT_IMAGE=/vmlinuz ro quiet i915.max_vfs=0 intel_iommu=on i915.max_vfs=7 -- i915.enable_guc=3';
    expect(kernelParam(cmdline, 'i915.max_vfs')).toBe('7');
    expect(kernelParam(cmdline, 'intel_iommu')).toBe('on');
    expect(kernelParam(cmdline, 'quiet')).toBe('');
    expect(kernelParam(cmdline, 'i915.enable_guc')).toBeUndefined();
    expect(kernelParam(null, 'quiet')).toBeUndefined();
  });
  it('reads module names from /proc/modules', () => {
    expect(
      parseProcModules(
        'i915 3096576 42 drm_buddy,ttm, Live 0x0000000000000000\nvfio_pci 16384 0 - Live 0x0\n',
      ),
    ).toEqual(['i915', 'vfio_pci']);
  });
});
