import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';
import { RunId, RunRecord, RUN_RECORD_SCHEMA_VERSION } from '../../shared/run-record';
import { writeFileAtomic } from '../fsutil/atomic-write';

/** Names of a record's files inside its directory (README "Validation runs" lists them). */
export const RECORD_FILES = {
  record: 'run.json',
  junit: 'junit.xml',
  serialLog: 'serial.log',
  qemuLog: 'qemu.log',
  steps: 'steps',
} as const;

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

/** Whether a process runs (signal 0 checks without sending anything): is a record's backend still there? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A step's output files, by its position (names may hold any character). */
export function stepFile(index: number, stream: 'stdout' | 'stderr'): string {
  return `${RECORD_FILES.steps}/${String(index + 1).padStart(3, '0')}.${stream}`;
}

/**
 * The records in the folders of `dir` named by an id (runs, matrices), newest first, and the
 * folders that do not read with why.
 */
export async function readRecordDirs<T>(
  dir: string,
  read: (id: string) => Promise<T>,
): Promise<{ records: T[]; invalid: { id: string; reason: string }[] }> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return { records: [], invalid: [] };
  }
  const records: T[] = [];
  const invalid: { id: string; reason: string }[] = [];
  for (const name of names
    .filter((n) => RunId.safeParse(n).success)
    .sort()
    .reverse()) {
    try {
      records.push(await read(name));
    } catch (error) {
      invalid.push({ id: name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { records, invalid };
}

/**
 * Records under `$XDG_DATA_HOME/tessera/runs/<id>/`. A record is written whole each time it
 * changes (temp file, fsync, rename), and once finished its files are made read-only and never
 * written again; `finish` refuses a record that is already finished.
 */
export class RunStore {
  constructor(readonly dir: string) {}

  static inDataDir(dataDir: string): RunStore {
    return new RunStore(path.join(dataDir, 'runs'));
  }

  runDir(id: string): string {
    return path.join(this.dir, RunId.parse(id));
  }

  async create(id: string): Promise<string> {
    const dir = this.runDir(id);
    await fsp.mkdir(path.join(dir, RECORD_FILES.steps), { recursive: true, mode: 0o700 });
    return dir;
  }

  async write(record: RunRecord): Promise<void> {
    await writeFileAtomic(
      path.join(this.runDir(record.id), RECORD_FILES.record),
      JSON.stringify(record, null, 2) + '\n',
    );
  }

  /** The last write of a record: every file in it becomes read-only (0444); the folders stay the user's to delete. */
  async seal(record: RunRecord): Promise<void> {
    if (record.status === 'running') throw new Error('a running record cannot be sealed');
    const current = await this.read(record.id).catch(() => undefined);
    if (current && current.status !== 'running')
      throw new TesseraError('CONFLICT', `run ${record.id} is finished; its record is not written again`);
    await this.write(record);
    const dir = this.runDir(record.id);
    const stepsDir = path.join(dir, RECORD_FILES.steps);
    for (const name of await fsp.readdir(stepsDir)) await fsp.chmod(path.join(stepsDir, name), 0o444);
    for (const name of await fsp.readdir(dir)) {
      if (name !== RECORD_FILES.steps) await fsp.chmod(path.join(dir, name), 0o444);
    }
  }

  async read(id: string): Promise<RunRecord> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(this.runDir(id), RECORD_FILES.record), 'utf8');
    } catch {
      throw new TesseraError('NOT_FOUND', `no run '${id}': \`tessera run list\` shows the runs`);
    }
    const value: unknown = JSON.parse(text);
    const version = (value as { schemaVersion?: unknown }).schemaVersion;
    if (version !== RUN_RECORD_SCHEMA_VERSION)
      throw new TesseraError(
        'BAD_INPUT',
        `run ${id} has a record of schema version ${String(version)}; this Tessera reads version ${RUN_RECORD_SCHEMA_VERSION}`,
      );
    return RunRecord.parse(value);
  }

  /** Every record that reads, newest first, and the folders that do not. */
  list(): Promise<{ records: RunRecord[]; invalid: { id: string; reason: string }[] }> {
    return readRecordDirs(this.dir, (id) => this.read(id));
  }

  /** A file of a record, read up to `maxBytes` (outputs are up to 4 MiB each). */
  async readFile(id: string, name: string, maxBytes: number): Promise<string> {
    const file = path.join(this.runDir(id), name);
    if (path.relative(this.runDir(id), file).startsWith('..'))
      throw new TesseraError('BAD_INPUT', `not a file of run ${id}`);
    const handle = await fsp.open(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(maxBytes, (await handle.stat()).size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  exists(id: string): boolean {
    return fs.existsSync(path.join(this.runDir(id), RECORD_FILES.record));
  }
}
