import path from 'node:path';
import { z } from 'zod';
import { SavedLayout } from '../../shared/gpu-plan';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { readStateFile } from '../fsutil/state-file';

const LayoutFile = z.object({ reapplyAtStart: z.boolean(), layouts: z.array(SavedLayout) });
export type LayoutFile = z.infer<typeof LayoutFile>;

const EMPTY: LayoutFile = { reapplyAtStart: false, layouts: [] };

/**
 * The GPU layouts Tessera applied last and whether to make them again at start, in
 * `$XDG_CONFIG_HOME/tessera/gpu-layout.json`: a file of its own, so this setting never races the
 * general settings file. A file that does not parse reads as empty and is not overwritten until
 * the next change.
 */
export class LayoutStore {
  constructor(private readonly file: string) {}

  static inConfigDir(configDir: string): LayoutStore {
    return new LayoutStore(path.join(configDir, 'gpu-layout.json'));
  }

  async read(): Promise<LayoutFile> {
    try {
      const parsed = LayoutFile.safeParse(JSON.parse(await readStateFile(this.file, { followLinks: true })));
      return parsed.success ? parsed.data : EMPTY;
    } catch {
      return EMPTY;
    }
  }

  async update(change: (file: LayoutFile) => LayoutFile): Promise<LayoutFile> {
    const next = change(await this.read());
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    return next;
  }
}
