// Every export golden (src/main/export/__golden__) against the real tools (issue 13): each libvirt
// domain passes Debian's virt-xml-validate (libvirt-clients, with xmllint from libxml2-utils) and
// is defined by `virsh -c test:///default` (libvirt's test driver, in libvirt0: no daemon).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const GOLDEN_DIR = fileURLToPath(new URL('../../src/main/export/__golden__', import.meta.url));
const goldens = (suffix: string) =>
  fs
    .readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => ({ name: f.slice(0, -suffix.length), file: path.join(GOLDEN_DIR, f) }));

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-export-tools-'));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

/** A tool's output, or its failure with what it printed (so a refusal reads as the tool said it). */
function run(
  program: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): { ok: boolean; output: string } {
  const result = spawnSync(program, args, { encoding: 'utf8', ...options });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

describe('libvirt exports', () => {
  const domains = goldens('.libvirt.xml');
  it('there are goldens to check', () => expect(domains.length).toBeGreaterThan(5));
  it.each(domains.map((d) => [d.name, d.file] as const))('%s passes virt-xml-validate', (_name, file) => {
    const result = run('virt-xml-validate', [file, 'domain']);
    expect(result.output).toContain('validates');
    expect(result.ok, result.output).toBe(true);
  });
  it.each(domains.map((d) => [d.name, d.file] as const))(
    '%s is defined by virsh (test driver)',
    (_name, file) => {
      // Each virsh process gets its own fresh test:///default, so nothing is left defined.
      const result = run('virsh', ['-c', 'test:///default', 'define', file]);
      expect(result.ok, result.output).toBe(true);
      expect(result.output).toMatch(/Domain '.+' defined/);
    },
  );
  it('virsh refuses a broken domain, so the check can fail', () => {
    const broken = path.join(temp, 'broken.xml');
    fs.writeFileSync(
      broken,
      fs
        .readFileSync(domains[0]?.file ?? '', 'utf8')
        .replace("<vcpu placement='static'>", "<vcpu placement='nowhere'>"),
    );
    expect(run('virsh', ['-c', 'test:///default', 'define', broken]).ok).toBe(false);
    expect(run('virt-xml-validate', [broken, 'domain']).ok).toBe(false);
  });
});

describe('script exports', () => {
  const scripts = goldens('.sh');
  it('there are goldens to check', () => expect(scripts.length).toBeGreaterThan(5));
  it.each(scripts.map((d) => [d.name, d.file] as const))(
    '%s: sh -n and shellcheck are clean',
    (_name, file) => {
      const syntax = run('sh', ['-n', file]);
      expect(syntax.ok, syntax.output).toBe(true);
      const lint = run('shellcheck', ['--shell=sh', file]);
      expect(lint.output).toBe('');
      expect(lint.ok).toBe(true);
    },
  );
  it('shellcheck finds a broken script, so the check can fail', () => {
    const broken = path.join(temp, 'broken.sh');
    fs.writeFileSync(broken, '#!/bin/sh\nrm -rf $1/*\n');
    expect(run('shellcheck', ['--shell=sh', broken]).ok).toBe(false);
  });
});
