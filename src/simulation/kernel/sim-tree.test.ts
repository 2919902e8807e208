import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernfsLinkText, openSimTree } from './sim-tree';

describe('kernfsLinkText', () => {
  it.each([
    // Every link text of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs, as the kernel writes it.
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

describe('openSimTree with links it did not make', () => {
  const withTree = (test: (root: string, elsewhere: string) => void) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-simtree-'));
    try {
      fs.mkdirSync(path.join(dir, 'root', 'sys', 'devices'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'elsewhere'));
      test(path.join(dir, 'root'), path.join(dir, 'elsewhere'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('makes, writes, moves and removes nothing through a link that leads out of the root', () => {
    withTree((root, elsewhere) => {
      fs.symlinkSync(elsewhere, path.join(root, 'sys/devices/vf'));
      fs.writeFileSync(path.join(elsewhere, 'class'), 'mine\n');
      const tree = openSimTree(root);
      const out = /leads out of the simulated host/;
      expect(() => tree.file('/sys/devices/vf/class', '0x030000\n')).toThrow(out);
      expect(() => tree.file('/sys/devices/vf/new/vendor', '0x8086\n')).toThrow(out);
      expect(() => tree.update('/sys/devices/vf/class', 'x')).toThrow(out);
      expect(() => tree.mkdir('/sys/devices/vf/sub')).toThrow(out);
      expect(() => tree.link('/sys/devices/vf/physfn', '/sys/devices')).toThrow(out);
      expect(() => tree.remove('/sys/devices/vf/class')).toThrow(out);
      expect(() => tree.rename('/sys/devices/vf/class', '/sys/devices/class')).toThrow(out);
      expect(() => tree.file('/../escape', 'x')).toThrow(/not in the simulated host/);
      expect(fs.readdirSync(elsewhere)).toEqual(['class']);
      expect(fs.readFileSync(path.join(elsewhere, 'class'), 'utf8')).toBe('mine\n');
    });
  });

  it('refuses a dangling link, and follows the links it made itself', () => {
    withTree((root) => {
      fs.symlinkSync('/nonexistent/dir', path.join(root, 'sys/devices/gone'));
      const tree = openSimTree(root);
      expect(() => tree.file('/sys/devices/gone/class', 'x')).toThrow(/does not resolve/);
      tree.file('/sys/devices/pci/0000:00:02.0/class', '0x030000\n');
      tree.link('/sys/bus/pci/devices/0000:00:02.0', '/sys/devices/pci/0000:00:02.0');
      tree.update('/sys/bus/pci/devices/0000:00:02.0/class', '0x038000\n');
      expect(tree.read('/sys/devices/pci/0000:00:02.0/class')).toBe('0x038000\n');
      // A planted link where the kernel makes one is replaced, not written through.
      tree.link('/sys/devices/gone', '/sys/devices/pci/0000:00:02.0');
      expect(tree.resolve('/sys/devices/gone')).toBe('/sys/devices/pci/0000:00:02.0');
    });
  });
});
