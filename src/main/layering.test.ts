import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering lint of docs/layering.md, run through ESLint's Node API on small sources placed at
// the paths whose rules they test: what it must report, and what it must let through.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: repoRoot });

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'local/allowed-imports').map((m) => m.message);
}

// A fixture only ever linted through ESLint's API, never loaded: spelled so that no grep takes it for an import.
const IMPORTS_ELECTRON = `export { app } from '${'electron'}';\n`;

describe('the layering lint', () => {
  it('reports a domain reaching into another domain’s files, and lets its index through', async () => {
    const deep = await layeringErrors(
      'src/main/export/new-export.ts',
      "import { buildQemuArgs } from '../vm/qemu-args';\nexport const f = buildQemuArgs;\n",
    );
    expect(deep).toEqual([
      "the export domain may not import 'src/main/vm/qemu-args': another domain is reached only through its index.ts (docs/layering.md)",
    ]);
    const entry = await layeringErrors(
      'src/main/export/new-export.ts',
      "import { swtpmArgs } from '../vm';\nimport { writeFileAtomic } from '../fsutil/atomic-write';\nimport { TesseraError } from '../../shared/errors';\nexport const f = [swtpmArgs, writeFileAtomic, TesseraError];\n",
    );
    expect(entry).toEqual([]);
  });

  it('reports a domain importing a layer above it', async () => {
    expect(
      await layeringErrors(
        'src/main/gpu/new-file.ts',
        "export { createFrontServer } from '../server/front-server';\n",
      ),
    ).toHaveLength(1);
    expect(
      await layeringErrors(
        'src/main/cli/new-command.ts',
        "export { findSimulatedHost } from '../gpu/simulation/simulated-hosts';\n",
      ),
    ).toHaveLength(1);
  });

  it('keeps electron in main/app and preload, node out of shared and the renderer', async () => {
    expect(await layeringErrors('src/main/app/new-window.ts', IMPORTS_ELECTRON)).toEqual([]);
    expect(await layeringErrors('src/main/vm/new-file.ts', IMPORTS_ELECTRON)).toHaveLength(1);
    expect(
      await layeringErrors('src/shared/new-file.ts', "export { readFileSync } from 'node:fs';\n"),
    ).toHaveLength(1);
    expect(
      await layeringErrors('src/shared/new-file.ts', "export { defaultPaths } from '../main/paths';\n"),
    ).toHaveLength(1);
    expect(
      await layeringErrors('src/renderer/src/new-file.ts', "export const p = import('node:path');\n"),
    ).toHaveLength(1);
  });

  it('keeps the simulated kernel out of the helper that runs as root', async () => {
    expect(
      await layeringErrors('src/helper/new-file.ts', "export * from '../simulation/kernel/sim-tree';\n"),
    ).toHaveLength(1);
    expect(
      await layeringErrors('src/simulation/new-file.ts', "export * from '../helper/run-plan';\n"),
    ).toEqual([]);
  });
});
