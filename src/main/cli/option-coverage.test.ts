import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every option the CLI defines is used by some test (virt-manager's test_checkprops idea): an option
// no test passes is an option nobody knows still works. The options come from the code itself (each
// `name: { type: 'string' | 'boolean' }` of a parseArgs table in src/main/cli, and the global flags),
// so a new option is checked without touching this file; a test uses `--name` somewhere in its text.
const repoRoot = path.resolve(import.meta.dirname, '../../..');
const cliDir = path.join(repoRoot, 'src/main/cli');

function files(dir: string, keep: (file: string) => boolean): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const file = path.join(e.parentPath, e.name);
    return e.isFile() && keep(file) && !file.includes(`${path.sep}node_modules${path.sep}`) ? [file] : [];
  });
}

function definedOptions(): Map<string, string> {
  const defined = new Map<string, string>();
  for (const file of files(cliDir, (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const source = fs.readFileSync(file, 'utf8');
    const names = [
      ...source.matchAll(/['"]?([a-zA-Z][\w-]*)['"]?:\s*\{\s*type:\s*'(?:string|boolean)'/g),
      ...source.matchAll(/'--([a-z][\w-]*)':\s*'\w+'/g), // global-options.ts: { '--simulate': 'simulate' }
    ].map((m) => m[1] ?? '');
    for (const name of names) if (!defined.has(name)) defined.set(name, path.relative(repoRoot, file));
  }
  return defined;
}

const testText = [
  ...files(path.join(repoRoot, 'tests'), (f) => /\.(ts|tsx)$/.test(f)),
  ...files(path.join(repoRoot, 'src'), (f) => /\.test\.tsx?$/.test(f)),
]
  .filter((f) => f !== path.join(cliDir, 'option-coverage.test.ts'))
  .map((f) => fs.readFileSync(f, 'utf8'))
  .join('\n');

describe('CLI options', () => {
  const defined = definedOptions();

  it('are found in the code', () => {
    // The scan itself must work: these are options of vm create, vm list and the global flags.
    for (const name of ['cpus', 'json', 'simulate', 'host-root']) expect(defined.has(name), name).toBe(true);
  });

  it('are each used by some test', () => {
    const untested = [...defined]
      .filter(([name]) => !new RegExp(`--${name}(?![\\w-])`).test(testText))
      .map(([name, file]) => `--${name} (${file})`);
    expect(untested, 'options no test passes').toEqual([]);
  });
});
