import { z } from 'zod';
import { KIOSK_DEFAULTS, KioskSettings } from './kiosk';
import { VmName } from './vm-spec';

/**
 * The user's preferences, stored as `$XDG_CONFIG_HOME/tessera/settings.json` (DESIGN.md "Where
 * state lives"). Sections are replaced whole by `settings.update`, so two fronts editing
 * different sections never undo each other.
 */
export const AppearanceSettings = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
});

export const GallerySettings = z.object({
  sortBy: z.enum(['name', 'state', 'created']).default('name'),
  /** Live thumbnails cost a screendump per visible running VM per second; a kiosk may not want that. */
  thumbnails: z.boolean().default(true),
});

export const WallSettings = z.object({
  layout: z.enum(['2x2', '3x3']).default('2x2'),
  /** Which VM fills which cell, row by row; unknown or deleted VMs are skipped by the wall. */
  vms: z.array(VmName).max(9).default([]),
});

export const ConsoleSettings = z.object({
  /** fit: scale the guest screen to the window; native: one guest pixel per screen pixel. */
  scaling: z.enum(['fit', 'native']).default('fit'),
});

export const Settings = z.object({
  appearance: AppearanceSettings.default({ theme: 'system' }),
  gallery: GallerySettings.default({ sortBy: 'name', thumbnails: true }),
  wall: WallSettings.default({ layout: '2x2', vms: [] }),
  console: ConsoleSettings.default({ scaling: 'fit' }),
  kiosk: KioskSettings.default(KIOSK_DEFAULTS),
});
export type Settings = z.infer<typeof Settings>;

/** Any subset of the sections, each given whole (fields left out take their defaults). */
export const SettingsPatch = z.strictObject({
  appearance: AppearanceSettings.optional(),
  gallery: GallerySettings.optional(),
  wall: WallSettings.optional(),
  console: ConsoleSettings.optional(),
  kiosk: KioskSettings.optional(),
});
export type SettingsPatch = z.input<typeof SettingsPatch>;
