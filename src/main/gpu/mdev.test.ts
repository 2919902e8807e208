import { describe, expect, it } from 'vitest';
import { parseMdevDescription } from './mdev';
import { parseAttribute } from './provisioning';

describe('parseMdevDescription', () => {
  it('reads the example description of i915-GVTg_V5_4 (docs/sriov-sysfs.md#gvt-g-types)', () => {
    expect(
      parseMdevDescription(
        'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n',
      ),
    ).toEqual({
      lowGmSizeMiB: 128,
      highGmSizeMiB: 512,
      fence: 4,
      resolution: '1920x1200',
      weight: 4,
    });
  });

  it.each([
    ['a missing line', 'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\n'],
    ['another unit', 'low_gm_size: 128KB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n'],
    [
      'a resolution that is not WxH',
      'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: big\nweight: 4\n',
    ],
    ['another driver’s free text', 'NVIDIA GRID vGPU\n'],
  ])('returns null for %s', (_why, text) => {
    expect(parseMdevDescription(text)).toBeNull();
  });
});

describe('parseAttribute', () => {
  it('reads %u values as numbers, including u64 quotas', () => {
    expect(parseAttribute('8388608000')).toBe(8388608000);
    expect(parseAttribute('0')).toBe(0);
  });

  it('reads xe choices as the active one (docs/sriov-sysfs.md#xe-sriov_admin)', () => {
    expect(parseAttribute('[low] normal high')).toBe('low');
    expect(parseAttribute('low [normal]')).toBe('normal');
  });

  it('keeps anything else as text', () => {
    expect(parseAttribute('auto')).toBe('auto');
  });
});
