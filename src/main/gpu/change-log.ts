import fs from 'node:fs/promises';
import path from 'node:path';
import { ChangeLogEntry } from '../../shared/gpu-plan';
import { readStateFile } from '../fsutil/state-file';

/** How many entries `gpu.log` returns, newest first. */
export const CHANGE_LOG_SHOWN = 200;
/** The file is cut back to its newest entries when it grows past this. */
const CHANGE_LOG_KEPT = 2000;
/** Entries are a few hundred bytes; a file far past the kept entries is not ours to read. */
const CHANGE_LOG_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Every GPU change Tessera made or tried, one JSON line each, in the data dir
 * (`$XDG_DATA_HOME/tessera/gpu-changes.jsonl`). A line that does not parse is skipped, never fatal.
 */
export class ChangeLog {
  constructor(private readonly file: string) {}

  static inDataDir(dataDir: string): ChangeLog {
    return new ChangeLog(path.join(dataDir, 'gpu-changes.jsonl'));
  }

  async append(entry: ChangeLogEntry): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await fs.appendFile(this.file, JSON.stringify(entry) + '\n', { mode: 0o600 });
    const lines = await this.lines();
    if (lines.length > CHANGE_LOG_KEPT)
      await fs.writeFile(this.file, lines.slice(-CHANGE_LOG_KEPT).join('\n') + '\n');
  }

  async list(): Promise<ChangeLogEntry[]> {
    const entries: ChangeLogEntry[] = [];
    for (const line of (await this.lines()).reverse()) {
      try {
        const parsed = ChangeLogEntry.safeParse(JSON.parse(line));
        if (parsed.success) entries.push(parsed.data);
      } catch {
        // a torn or foreign line: skipped
      }
      if (entries.length === CHANGE_LOG_SHOWN) break;
    }
    return entries;
  }

  private async lines(): Promise<string[]> {
    try {
      return (await readStateFile(this.file, { maxBytes: CHANGE_LOG_MAX_BYTES }))
        .split('\n')
        .filter((l) => l.trim() !== '');
    } catch {
      return [];
    }
  }
}
