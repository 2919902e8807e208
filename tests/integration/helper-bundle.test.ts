/**
 * What pkexec runs as root (out/helper/index.js) is the helper's real-kernel code alone: none of the
 * simulated kernel (src/simulation/kernel) is in it. Minifying renames identifiers but keeps string
 * literals, so the simulated kernel's own strings (those no helper or shared file also has) are
 * what the bundle is searched for: those the simulated-host helper has, so the search can find something.
 * The README's security section says how large the bundle is and what it imports; that is read
 * here too, so it stays true.
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

  it("is the size and imports the README's security section says", () => {
    const readme = fs.readFileSync(at('README.md'), 'utf8').replace(/\s+/g, ' ');
    const said = readme.match(/`out\/helper\/index\.js` \(about (\d+) KB[^)]*?it imports only ([^)]*)\)/);
    expect(said, 'the README names the bundle, its size and its imports').not.toBeNull();
    const root = fs.readFileSync(at('out/helper/index.js'), 'utf8');
    // Every module the bundle asks for: static and dynamic imports, re-exports, require.
    const imported = new Set(
      [...root.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]),
    );
    const listed = new Set([...(said?.[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    expect([...imported].sort()).toEqual([...listed].sort());
    // "about": within a tenth of what the README says (1 KB = 1000 bytes).
    const saidKb = Number(said?.[1]);
    expect(Math.abs(Buffer.byteLength(root) / 1000 - saidKb) / saidKb).toBeLessThan(0.1);
  });
});
