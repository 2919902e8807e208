import { describe, expect, it, vi } from 'vitest';
import { Settings } from '../../../shared/settings';
import { connectReconnecting } from '../transport/connect';
import { fakeBackend } from './fake-backend';
import { applyPatch, createSettingsStore } from './settings-store';

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

describe('settings store', () => {
  it('keeps the defaults and says why when the preferences cannot be read', async () => {
    const backend = fakeBackend({
      'settings.get': () => ({ ok: false, error: { code: 'BAD_INPUT', message: 'settings.json is broken' } }),
    });
    const store = createSettingsStore(connectReconnecting(backend.open));
    await vi.waitFor(() => expect(store.getState().error).toBe('settings.json is broken'));
    expect(store.getState().settings).toEqual(Settings.parse({}));
    expect(store.getState().loaded).toBe(false);
  });

  it('follows settings.changed from other fronts', async () => {
    const backend = fakeBackend({ 'settings.get': () => ({ ok: true, value: Settings.parse({}) }) });
    const store = createSettingsStore(connectReconnecting(backend.open));
    await vi.waitFor(() => expect(store.getState().loaded).toBe(true));
    backend.emit('settings.changed', { settings: Settings.parse({ wall: { layout: '3x3' } }) });
    await vi.waitFor(() => expect(store.getState().settings.wall.layout).toBe('3x3'));
  });
});
