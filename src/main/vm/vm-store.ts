import fs from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TesseraError, describeZodError } from '../../shared/errors';
import { StoredVmSpec, VmSpec, type InvalidDefinition } from '../../shared/vm-spec';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { UnreadableFile, describeJsonError, readStateFileSync } from '../fsutil/state-file';

/**
 * Definitions read in one go before the event loop gets a turn. Read one by one with blocking
 * calls, 2,000 definitions cost a fifth of the CPU that 2,000 concurrent promise reads do (each
 * of those is five thread-pool round trips): `vm list` reads every file. In a long-lived backend
 * a batch blocks for about a millisecond, then other work goes first.
 */
const LOAD_BATCH = 64;

export interface LoadedDefinitions {
  specs: VmSpec[];
  invalid: InvalidDefinition[];
}

/**
 * VM definitions as `<configDir>/vms/<name>.json`. Disk is the source of truth: every read
 * re-reads the folder, so hand edits show at once. A file that does not parse or validate is
 * reported and left exactly as it is; it never blocks the others and is never overwritten.
 */
export class VmStore {
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = path.join(configDir, 'vms');
  }

  fileFor(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  async load(): Promise<LoadedDefinitions> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { specs: [], invalid: [] };
      throw error;
    }
    const files = names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort()
      .map((n) => path.join(this.dir, n));
    const specs: VmSpec[] = [];
    const invalid: InvalidDefinition[] = [];
    for (const [i, file] of files.entries()) {
      if (i > 0 && i % LOAD_BATCH === 0) await nextTurn();
      const r = this.readFileSync(file);
      if ('spec' in r) specs.push(r.spec);
      else invalid.push(r.invalid);
    }
    return { specs, invalid };
  }

  /** One definition; NOT_FOUND when missing, BAD_INPUT (naming the file) when broken. */
  async get(id: string): Promise<VmSpec> {
    const file = this.fileFor(id);
    // Blocking, as in `load`: one small file costs five thread-pool round trips read with promises,
    // and every call about a VM (a thumbnail poll each second per card) reads its definition.
    const result = this.readFileSync(file);
    if ('spec' in result) return result.spec;
    if (result.missing) throw new TesseraError('NOT_FOUND', `no VM named '${id}'`);
    throw new TesseraError('BAD_INPUT', `the definition ${file} is invalid: ${result.invalid.reason}`);
  }

  async exists(id: string): Promise<boolean> {
    try {
      await fs.access(this.fileFor(id));
      return true;
    } catch {
      return false;
    }
  }

  async save(spec: VmSpec): Promise<void> {
    const checked = VmSpec.parse(spec);
    await writeFileAtomic(this.fileFor(checked.name), JSON.stringify(checked, null, 2) + '\n');
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.fileFor(id), { force: true });
  }

  private readFileSync(file: string): Checked {
    let text: string;
    try {
      // A definition may be the user's link into a dotfiles repo; a FIFO or a device is not read.
      text = readStateFileSync(file, { followLinks: true });
    } catch (error) {
      return unreadable(file, error);
    }
    return this.check(file, text);
  }

  /** One definition file's text, parsed and checked against the contract's schema. */
  private check(file: string, text: string): Checked {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { invalid: { file, reason: describeJsonError(error) } };
    }
    const parsed = StoredVmSpec.safeParse(json);
    if (!parsed.success) return { invalid: { file, reason: describeZodError(parsed.error) } };
    const expected = path.basename(file, '.json');
    if (parsed.data.name !== expected) {
      return {
        invalid: {
          file,
          reason: `its name '${parsed.data.name}' does not match the file name '${expected}.json'`,
        },
      };
    }
    return { spec: parsed.data };
  }
}

type Checked = { spec: VmSpec } | { invalid: InvalidDefinition; missing?: boolean };

function unreadable(file: string, error: unknown): Checked {
  if (!(error instanceof UnreadableFile)) throw error;
  return { invalid: { file, reason: `cannot read it: ${error.reason}` }, missing: error.missing };
}
