import { describe, expect, it } from 'vitest';
import type { VmInfo } from '../../../../shared/vm-spec';
import { vmInfo } from '../../stores/vm-fixture';
import { arrangeVms } from './arrange';
import { formatBytes, formatGpu, formatMemory } from './format';

const vms = [
  vmInfo('web', 'stopped', '2025-01-03T00:00:00.000Z'),
  vmInfo('db', 'running', '2025-01-01T00:00:00.000Z'),
  vmInfo('kiosk-2', 'crashed', '2025-01-02T00:00:00.000Z'),
  vmInfo('kiosk-1', 'running', '2025-01-04T00:00:00.000Z'),
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
