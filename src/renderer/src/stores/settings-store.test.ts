import { describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { applyPatch } from './settings-store';

describe('applyPatch', () => {
  it('replaces the given sections whole and keeps the others', () => {
    const before = Settings.parse({
      wall: { layout: '3x3', vms: ['a', 'b'] },
      console: { scaling: 'native' },
    });
    const after = applyPatch(before, { wall: { layout: '2x2' } });
    expect(after.wall).toEqual({ layout: '2x2', vms: [] });
    expect(after.console).toEqual({ scaling: 'native' });
    expect(after.appearance).toEqual(before.appearance);
  });
});
