import { describe, expect, it } from 'vitest';
import { diskSizeBytes, qemuImgCreateArgs } from './disk-create';

describe('diskSizeBytes', () => {
  it('is whole GiB exactly, and rounds fractions up to whole sectors', () => {
    expect(diskSizeBytes(8)).toBe(8 * 1024 ** 3);
    expect(diskSizeBytes(0.5)).toBe(512 * 1024 ** 2);
    expect(diskSizeBytes(1e-9)).toBe(512);
    expect(diskSizeBytes(65536) % 512).toBe(0);
  });
});

describe('qemuImgCreateArgs', () => {
  it('makes qcow2 thin and reserves the space of raw', () => {
    expect(qemuImgCreateArgs({ path: '/v/a.qcow2', sizeGiB: 1, format: 'qcow2' }, 1024)).toEqual([
      'create',
      '-q',
      '-f',
      'qcow2',
      '/v/a.qcow2',
      '1024',
    ]);
    expect(qemuImgCreateArgs({ path: '/v/b.raw', sizeGiB: 1, format: 'raw' }, 512)).toEqual([
      'create',
      '-q',
      '-f',
      'raw',
      '-o',
      'preallocation=falloc',
      '/v/b.raw',
      '512',
    ]);
  });
});
