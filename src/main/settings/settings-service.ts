import path from 'node:path';
import { TesseraError, describeZodError } from '../../shared/errors';
import { Settings, type SettingsPatch } from '../../shared/settings';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { UnreadableFile, describeJsonError, readStateFile } from '../fsutil/state-file';
import type { DomainEventBus } from '../events';

/**
 * The user's preferences in `<configDir>/settings.json`. A missing file means the defaults; a
 * file that does not parse is reported (BAD_INPUT naming it and why) and never overwritten, so a
 * hand edit with a typo is not lost to the next click in the UI.
 */
export class SettingsService {
  readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    configDir: string,
    private readonly bus?: DomainEventBus,
  ) {
    this.file = path.join(configDir, 'settings.json');
  }

  async get(): Promise<Settings> {
    let text: string;
    try {
      text = await readStateFile(this.file, { followLinks: true });
    } catch (error) {
      if (!(error instanceof UnreadableFile)) throw error;
      if (error.missing) return Settings.parse({});
      throw new TesseraError('IO', error.message);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw this.invalid(describeJsonError(error));
    }
    const parsed = Settings.safeParse(json);
    if (!parsed.success) throw this.invalid(describeZodError(parsed.error));
    return parsed.data;
  }

  /** Replace the sections given; one update at a time, so two fronts never lose each other's. */
  update(patch: SettingsPatch): Promise<Settings> {
    const next = this.queue.then(async () => {
      const merged = Settings.parse({ ...(await this.get()), ...patch });
      await writeFileAtomic(this.file, JSON.stringify(merged, null, 2) + '\n');
      this.bus?.emit('settings.changed', { settings: merged });
      return merged;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private invalid(reason: string): TesseraError {
    return new TesseraError(
      'BAD_INPUT',
      `the settings file ${this.file} is invalid (${reason}): fix it or remove it to start from the defaults`,
    );
  }
}
