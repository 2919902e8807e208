import { describe, expect, it } from 'vitest';
import type { VmInfo } from '../../../../shared/vm-spec';
import { arrangeVms } from './arrange';
import { formatBytes, formatGpu, formatMemory } from './format';

function vm(name: string, state: VmInfo['state'], createdAt: string): VmInfo {
  return {
    id: name,
    state,
    since: createdAt,
    restarts: 0,
    spec: {
      name,
      uuid: '3f1c2a4e-8d7b-4c1a-9e2f-0a1b2c3d4e5f',
      createdAt,
      cpus: 1,
      memoryMiB: 512,
      firmware: 'bios',
      disks: [],
      network: { mode: 'user', forwards: [] },
      vga: 'std',
      display: 'vnc',
      restartPolicy: 'never',
    },
  };
}

const vms = [
  vm('web', 'stopped', '2025-01-03T00:00:00.000Z'),
  vm('db', 'running', '2025-01-01T00:00:00.000Z'),
  vm('kiosk-2', 'crashed', '2025-01-02T00:00:00.000Z'),
  vm('kiosk-1', 'running', '2025-01-04T00:00:00.000Z'),
];
const names = (list: VmInfo[]) => list.map((v) => v.id);

describe('arrangeVms', () => {
  it('sorts by name, by state (live first) and by creation (newest first)', () => {
    expect(names(arrangeVms(vms, '', 'name'))).toEqual(['db', 'kiosk-1', 'kiosk-2', 'web']);
    expect(names(arrangeVms(vms, '', 'state'))).toEqual(['db', 'kiosk-1', 'kiosk-2', 'web']);
    expect(names(arrangeVms(vms, '', 'created'))).toEqual(['kiosk-1', 'web', 'kiosk-2', 'db']);
  });

  it('keeps the VMs with every word of the query in their name or state', () => {
    expect(names(arrangeVms(vms, 'KIOSK', 'name'))).toEqual(['kiosk-1', 'kiosk-2']);
    expect(names(arrangeVms(vms, 'kiosk running', 'name'))).toEqual(['kiosk-1']);
    expect(names(arrangeVms(vms, '  ', 'name'))).toHaveLength(4);
    expect(arrangeVms(vms, 'nothing-like-it', 'name')).toEqual([]);
  });

  it('does not reorder its input', () => {
    const copy = [...vms];
    arrangeVms(vms, '', 'state');
    expect(vms).toEqual(copy);
  });
});

describe('format', () => {
  it('says memory in whole GiB when it can', () => {
    expect(formatMemory(4096)).toBe('4 GiB');
    expect(formatMemory(1536)).toBe('1536 MiB');
  });
  it('names the GPU a VM gets', () => {
    expect(formatGpu({ vga: 'std' })).toMatch(/virtual GPU/);
    expect(formatGpu({ vga: 'none' })).toBe('no GPU');
  });
  it('says sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10.0 GiB');
  });
});
