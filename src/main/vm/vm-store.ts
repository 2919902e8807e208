import fs from 'node:fs/promises';
import path from 'node:path';
import { TesseraError, describeZodError } from '../../shared/errors';
import { StoredVmSpec, VmSpec, type InvalidDefinition } from '../../shared/vm-spec';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { UnreadableFile, describeJsonError, readStateFile } from '../fsutil/state-file';

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
    const results = await Promise.all(
      names
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .sort()
        .map((n) => this.readFile(path.join(this.dir, n))),
    );
    const specs: VmSpec[] = [];
    const invalid: InvalidDefinition[] = [];
    for (const r of results) {
      if ('spec' in r) specs.push(r.spec);
      else invalid.push(r.invalid);
    }
    return { specs, invalid };
  }

  /** One definition; NOT_FOUND when missing, BAD_INPUT (naming the file) when broken. */
  async get(id: string): Promise<VmSpec> {
    const file = this.fileFor(id);
    const result = await this.readFile(file);
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

  private async readFile(
    file: string,
  ): Promise<{ spec: VmSpec } | { invalid: InvalidDefinition; missing?: boolean }> {
    let text: string;
    try {
      // A definition may be the user's link into a dotfiles repo; a FIFO or a device is not read.
      text = await readStateFile(file, { followLinks: true });
    } catch (error) {
      if (!(error instanceof UnreadableFile)) throw error;
      return { invalid: { file, reason: `cannot read it: ${error.reason}` }, missing: error.missing };
    }
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
