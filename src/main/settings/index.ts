// The settings domain as other domains and the composition root see it (docs/layering.md).
export { SettingsService } from './settings-service';
