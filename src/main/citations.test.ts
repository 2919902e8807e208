import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Comments cite what a reader can open: a kernel or QEMU source file, or a note in docs/. This keeps
// it so: no section-sign citation ("A.1" after the sign) of a document the repository does not have, and every
// `docs/<note>.md#<section>` cited names a section that the note has.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const tracked = execFileSync(
  'git',
  ['ls-files', '-co', '--exclude-standard', 'src', 'tests', 'bench', 'scripts', 'docs', '*.md'],
  {
    cwd: repoRoot,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => /\.(ts|tsx|js|mjs|md|sh|txt|css|html)$/.test(f) && fs.existsSync(path.join(repoRoot, f)));
const texts = tracked.map((file) => ({ file, text: fs.readFileSync(path.join(repoRoot, file), 'utf8') }));

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('citations', () => {
  it('never name a section of a document outside the repository', () => {
    const sectionSign = new RegExp('\\u00a7[A-Z]');
    const found = texts.flatMap(({ file, text }) =>
      text
        .split('\n')
        .flatMap((line, i) => (sectionSign.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('name sections the docs/ notes have', () => {
    const anchors = new Map<string, Set<string>>();
    const sectionsOf = (note: string) => {
      let set = anchors.get(note);
      if (set === undefined) {
        const full = path.join(repoRoot, 'docs', note);
        const headings = fs.existsSync(full) ? (fs.readFileSync(full, 'utf8').match(/^#+ .*$/gm) ?? []) : [];
        anchors.set(note, (set = new Set(headings.map((h) => anchorOf(h.replace(/^#+ /, ''))))));
      }
      return set;
    };
    const broken: string[] = [];
    for (const { file, text } of texts) {
      for (const m of text.matchAll(/docs\/([\w-]+\.md)((?:#[\w-]+(?:, )?)+)/g)) {
        const note = m[1] ?? '';
        for (const [, anchor] of (m[2] ?? '').matchAll(/#([\w-]+)/g)) {
          if (!sectionsOf(note).has(anchor ?? '')) broken.push(`${file}: docs/${note}#${anchor}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
