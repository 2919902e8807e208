import { createStore, type StoreApi } from 'zustand';
import { Settings, SettingsPatch } from '../../../shared/settings';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';

/** The settings with the given sections replaced whole, as settings.update does on the backend. */
export function applyPatch(settings: Settings, patch: SettingsPatch): Settings {
  const parsed = SettingsPatch.parse(patch);
  return {
    appearance: parsed.appearance ?? settings.appearance,
    gallery: parsed.gallery ?? settings.gallery,
    wall: parsed.wall ?? settings.wall,
    console: parsed.console ?? settings.console,
    kiosk: parsed.kiosk ?? settings.kiosk,
  };
}

export interface SettingsStoreState {
  /** The defaults until the backend answered, so views never wait on preferences to draw. */
  settings: Settings;
  loaded: boolean;
  /** Why the last update failed; the shown settings are the backend's, not the failed wish. */
  error: string | null;
  load(): Promise<void>;
  update(patch: SettingsPatch): Promise<void>;
}

/** The user's preferences, kept in step with every front by settings.changed. */
export function createSettingsStore(connection: Connection): StoreApi<SettingsStoreState> {
  const store = createStore<SettingsStoreState>()((set) => ({
    settings: Settings.parse({}),
    loaded: false,
    error: null,
    async load() {
      try {
        set({ settings: await connection.call('settings.get', {}), loaded: true, error: null });
      } catch (error) {
        set({ error: messageOf(error) });
      }
    },
    async update(patch) {
      // Optimistic, so a layout switch feels instant; the answer (or the next load) is the truth.
      set((s) => ({ settings: applyPatch(s.settings, patch), error: null }));
      try {
        set({ settings: await connection.call('settings.update', patch) });
      } catch (error) {
        set({ error: messageOf(error) });
        await store.getState().load();
      }
    },
  }));
  connection.on('settings.changed', ({ settings }) => store.setState({ settings, loaded: true }));
  connection.onStatus((status) => {
    if (status === 'connected') void store.getState().load();
  });
  if (connection.status === 'connected') void store.getState().load();
  return store;
}
