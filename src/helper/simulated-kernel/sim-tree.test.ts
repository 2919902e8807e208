import { describe, expect, it } from 'vitest';
import { kernfsLinkText } from './sim-tree';

describe('kernfsLinkText', () => {
  it.each([
    // Every link text of reference §G.1, as the kernel writes it.
    [
      '/sys/bus/pci/devices/0000:00:02.0',
      '/sys/devices/pci0000:00/0000:00:02.0',
      '../../../devices/pci0000:00/0000:00:02.0',
    ],
    [
      '/sys/devices/pci0000:00/0000:00:02.0/virtfn0',
      '/sys/devices/pci0000:00/0000:00:02.1',
      '../0000:00:02.1',
    ],
    [
      '/sys/devices/pci0000:00/0000:00:02.0/driver',
      '/sys/bus/pci/drivers/i915',
      '../../../bus/pci/drivers/i915',
    ],
    [
      '/sys/devices/pci0000:00/0000:00:02.0/iommu_group',
      '/sys/kernel/iommu_groups/0',
      '../../../kernel/iommu_groups/0',
    ],
    [
      '/sys/devices/pci0000:00/0000:00:02.0/drm/card0/prelim_iov/pf/device',
      '/sys/devices/pci0000:00/0000:00:02.0',
      '../../../../../0000:00:02.0',
    ],
    [
      '/sys/kernel/iommu_groups/17/devices/0000:00:02.1',
      '/sys/devices/pci0000:00/0000:00:02.1',
      '../../../../devices/pci0000:00/0000:00:02.1',
    ],
    [
      '/sys/bus/pci/drivers/i915/0000:00:02.0',
      '/sys/devices/pci0000:00/0000:00:02.0',
      '../../../../devices/pci0000:00/0000:00:02.0',
    ],
  ])('%s -> %s', (link, target, expected) => {
    expect(kernfsLinkText(link, target)).toBe(expected);
  });
});
