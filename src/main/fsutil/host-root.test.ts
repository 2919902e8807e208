import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failingFs } from '../../../tests/support/failing-fs';
import { createHostRoot } from './host-root';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-root-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(hostPath: string, content: string): void {
  const full = path.join(dir, hostPath);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
}

function link(hostPath: string, target: string): void {
  const full = path.join(dir, hostPath);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.symlinkSync(target, full);
}

/** The PCI device layout of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs: bus links into /sys/devices, PF and VF linking each other. */
function pciTree(): void {
  file('/sys/devices/pci0000:00/0000:00:02.0/vendor', '0x8086\n');
  file('/sys/devices/pci0000:00/0000:00:02.1/vendor', '0x8086\n');
  link('/sys/bus/pci/devices/0000:00:02.0', '../../../devices/pci0000:00/0000:00:02.0');
  link('/sys/devices/pci0000:00/0000:00:02.0/virtfn0', '../0000:00:02.1');
  link('/sys/devices/pci0000:00/0000:00:02.1/physfn', '../0000:00:02.0');
  fs.mkdirSync(path.join(dir, 'sys/kernel/iommu_groups/17'), { recursive: true });
  link('/sys/devices/pci0000:00/0000:00:02.1/iommu_group', '../../../kernel/iommu_groups/17');
}

describe('HostRoot', () => {
  it('resolves the kernel relative links inside the root, through several hops', () => {
    pciTree();
    const root = createHostRoot(dir);
    expect(root.resolve('/sys/bus/pci/devices/0000:00:02.0/virtfn0/physfn')).toEqual({
      ok: true,
      value: '/sys/devices/pci0000:00/0000:00:02.0',
    });
    expect(root.readText('/sys/bus/pci/devices/0000:00:02.0/virtfn0/vendor')).toEqual({
      ok: true,
      value: '0x8086\n',
    });
    expect(root.resolve('/sys/bus/pci/devices/0000:00:02.0/virtfn0/iommu_group')).toEqual({
      ok: true,
      value: '/sys/kernel/iommu_groups/17',
    });
  });

  it('reads a link target as written and tells links, files and directories apart', () => {
    pciTree();
    const root = createHostRoot(dir);
    expect(root.readLink('/sys/bus/pci/devices/0000:00:02.0/virtfn0')).toEqual({
      ok: true,
      value: '../0000:00:02.1',
    });
    expect(root.kind('/sys/bus/pci/devices/0000:00:02.0/virtfn0')).toEqual({ ok: true, value: 'link' });
    expect(root.kind('/sys/bus/pci/devices/0000:00:02.0/vendor')).toEqual({ ok: true, value: 'file' });
    expect(root.kind('/sys/bus/pci/devices')).toEqual({ ok: true, value: 'dir' });
    expect(root.readLink('/sys/bus/pci/devices/0000:00:02.0/vendor')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('is not a link'),
    });
  });

  it('lists a directory sorted', () => {
    pciTree();
    expect(createHostRoot(dir).readDir('/sys/devices/pci0000:00/0000:00:02.0')).toEqual({
      ok: true,
      value: ['vendor', 'virtfn0'],
    });
  });

  it('reports a link that climbs out of the root and does not follow it', () => {
    file('/../outside-secret', 'secret'); // next to the root, not inside it
    link('/sys/escape', '../../outside-secret');
    const read = createHostRoot(dir).readText('/sys/escape');
    expect(read).toMatchObject({ ok: false, kind: 'escapes' });
    expect(read.ok ? '' : read.reason).toBe(
      `/sys/escape -> ../../outside-secret leads outside the host root ${dir}`,
    );
    fs.rmSync(path.join(dir, '../outside-secret'));
  });

  it('keeps absolute link targets inside the root', () => {
    file('/etc/passwd', 'inside');
    link('/sys/abs', '/etc/passwd');
    expect(createHostRoot(dir).readText('/sys/abs')).toEqual({ ok: true, value: 'inside' });
  });

  it('reports a dangling link with its target, and a plain missing file as missing', () => {
    pciTree();
    link('/sys/devices/pci0000:00/0000:00:02.0/virtfn1', '../0000:00:02.2');
    const root = createHostRoot(dir);
    expect(root.readText('/sys/bus/pci/devices/0000:00:02.0/virtfn1/vendor')).toEqual({
      ok: false,
      kind: 'dangling',
      path: '/sys/bus/pci/devices/0000:00:02.0/virtfn1/vendor',
      reason: '/sys/devices/pci0000:00/0000:00:02.0/virtfn1 -> ../0000:00:02.2 points to nothing',
    });
    expect(root.readText('/sys/bus/pci/devices/0000:00:02.0/sriov_numvfs')).toMatchObject({
      ok: false,
      kind: 'missing',
      path: '/sys/bus/pci/devices/0000:00:02.0/sriov_numvfs',
      reason: '/sys/bus/pci/devices/0000:00:02.0/sriov_numvfs does not exist',
    });
  });

  it('stops at a link loop', () => {
    link('/sys/a', 'b');
    link('/sys/b', 'a');
    expect(createHostRoot(dir).readText('/sys/a')).toMatchObject({ ok: false, kind: 'loop' });
  });

  it('reports permission errors as denied, not as a crash', () => {
    file('/sys/kernel/debug/dri/0/gt0/uc/guc_info', 'GuC firmware: i915/adlp_guc_70.bin\n');
    const guarded = failingFs([{ op: 'lstatSync', suffix: '/sys/kernel/debug', code: 'EACCES' }]);
    const root = createHostRoot(dir, guarded);
    expect(root.readText('/sys/kernel/debug/dri/0/gt0/uc/guc_info')).toEqual({
      ok: false,
      kind: 'denied',
      path: '/sys/kernel/debug',
      reason: 'permission denied reading /sys/kernel/debug (root can read it)',
    });
  });

  it('maps a read error such as EIO to an error with its code', () => {
    file('/sys/control', '');
    const failing = failingFs([{ op: 'readFileSync', suffix: '/sys/control', code: 'EIO' }]);
    expect(createHostRoot(dir, failing).readText('/sys/control')).toEqual({
      ok: false,
      kind: 'error',
      path: '/sys/control',
      reason: 'cannot read /sys/control (EIO)',
      errno: 'EIO',
    });
  });

  it('refuses relative host paths', () => {
    expect(createHostRoot(dir).readText('sys/x')).toMatchObject({ ok: false, kind: 'error' });
  });

  it('uses host paths as they are on the real root, where .. at the top stays at the top', () => {
    const root = createHostRoot('/');
    expect(root.machinePath('/proc/cmdline')).toBe('/proc/cmdline');
    expect(root.resolve('/../proc/../proc')).toEqual({ ok: true, value: '/proc' });
  });

  it('maps host paths below a directory root', () => {
    expect(createHostRoot(dir).machinePath('/sys/x')).toBe(path.join(dir, 'sys/x'));
  });
});
