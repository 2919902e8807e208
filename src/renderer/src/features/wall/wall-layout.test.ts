import { describe, expect, it } from 'vitest';
import type { VmInfo } from '../../../../shared/vm-spec';
import { hotkeyCell, wallCapacity, wallVms } from './wall-layout';

const vm = (id: string, state: VmInfo['state']) => ({ id, state }) as VmInfo;
const vms = [
  vm('d', 'running'),
  vm('a', 'running'),
  vm('b', 'stopped'),
  vm('c', 'paused'),
  vm('e', 'running'),
];
const ids = (list: VmInfo[]) => list.map((v) => v.id);

describe('wall layout', () => {
  it('holds 4 or 9 consoles', () => {
    expect(wallCapacity('2x2')).toBe(4);
    expect(wallCapacity('3x3')).toBe(9);
  });

  it('shows every live VM by name when none are chosen, up to the grid size', () => {
    expect(ids(wallVms({ layout: '3x3', vms: [] }, vms))).toEqual(['a', 'c', 'd', 'e']);
    expect(ids(wallVms({ layout: '2x2', vms: [] }, [...vms, vm('f', 'running')]))).toEqual([
      'a',
      'c',
      'd',
      'e',
    ]);
  });

  it('shows the chosen VMs in their order, stopped ones too, skipping deleted ones', () => {
    expect(ids(wallVms({ layout: '2x2', vms: ['e', 'gone', 'b'] }, vms))).toEqual(['e', 'b']);
  });

  it('maps Alt+digit to a cell and ignores everything else', () => {
    const key = (code: string, mods: Partial<KeyboardEvent> = {}) =>
      hotkeyCell({ altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, code, ...mods });
    expect(key('Digit1')).toBe(0);
    expect(key('Numpad9')).toBe(8);
    expect(key('Digit0')).toBeNull();
    expect(key('KeyA')).toBeNull();
    expect(key('Digit2', { altKey: false })).toBeNull();
    expect(key('Digit2', { ctrlKey: true })).toBeNull();
  });
});
