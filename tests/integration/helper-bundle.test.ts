/**
 * What pkexec runs as root (out/helper/index.js) is the helper's real-kernel code alone: none of the
 * simulated kernel (src/simulation/kernel) is in it. Minifying renames identifiers but keeps string
 * literals, so the simulated kernel's own strings (those no helper or shared file also has) are
 * what the bundle is searched for: those the simulated-host helper has, so the search can find something.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/temp-home';

const at = (...parts: string[]) => path.join(REPO_ROOT, ...parts);
const sources = (dir: string) =>
  fs
    .readdirSync(at(dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => fs.readFileSync(at(dir, file), 'utf8'));
const literals = (text: string) =>
  [...text.matchAll(/'([^'\\\n$]{16,})'|"([^"\\\n$]{16,})"/g)].map((m) => m[1] ?? m[2] ?? '');

describe('the root helper bundle', () => {
  it('has no simulated kernel in it; the simulated-host helper has', () => {
    const elsewhere = [...sources('src/helper'), ...sources('src/shared')].join('\n');
    const simulated = fs.readFileSync(at('out/helper/simulated.js'), 'utf8');
    // The kernel's own strings that the simulated-host helper carries (code the entry never reaches,
    // and quotes in comments, are in neither bundle).
    const own = [...new Set(sources('src/simulation/kernel').flatMap(literals))].filter(
      (s) => !elsewhere.includes(s) && simulated.includes(s),
    );
    expect(own.length).toBeGreaterThan(5);
    const root = fs.readFileSync(at('out/helper/index.js'), 'utf8');
    expect(own.filter((s) => root.includes(s))).toEqual([]);
    // And the root helper still is the helper: its refusals are in it.
    expect(root).toContain('started through pkexec, the helper changes this machine (/) only');
  });
});
