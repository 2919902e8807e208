import { describe, expect, it } from 'vitest';
import { hasNothingToBoot } from './boot-media';
import { VmConfig } from './vm-spec';

describe('hasNothingToBoot', () => {
  it('is true only when the spec names no kernel, disk, CD-ROM or USB device', () => {
    const empty = VmConfig.parse({});
    expect(hasNothingToBoot(empty)).toBe(true);
    expect(
      hasNothingToBoot({
        ...empty,
        disks: [{ path: '/d.qcow2', format: 'qcow2', readOnly: false, bus: 'virtio' }],
      }),
    ).toBe(false);
    expect(hasNothingToBoot({ ...empty, cdrom: '/i.iso' })).toBe(false);
    expect(hasNothingToBoot({ ...empty, kernel: { path: '/vmlinuz' } })).toBe(false);
    expect(hasNothingToBoot({ ...empty, usb: ['3-1.2'] })).toBe(false);
  });

  it('reads the input the editor would send, whose lists may be left out', () => {
    expect(hasNothingToBoot({})).toBe(true);
    expect(hasNothingToBoot({ disks: [], usb: [] })).toBe(true);
  });
});
