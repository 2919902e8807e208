import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { TesseraError } from '../../shared/errors';
import { findOvmf, findQemu, findQemuImg, parseQemuVersion, qemuVersion } from './qemu-binary';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-qemu-bin-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(relative: string, content = '', mode = 0o644): string {
  const full = path.join(dir, relative);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content, { mode });
  return full;
}

const script = (stdout: string, exitCode = 0): string =>
  `#!/bin/sh\nprintf '%s\\n' '${stdout}'\necho 'some warning' >&2\nexit ${exitCode}\n`;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('findQemu', () => {
  it('finds qemu-system-x86_64 on PATH, first entry first', () => {
    const first = file('a/qemu-system-x86_64', '', 0o755);
    file('b/qemu-system-x86_64', '', 0o755);
    const PATH = [path.join(dir, 'missing'), path.join(dir, 'a'), path.join(dir, 'b')].join(':');
    expect(findQemu({ env: { PATH } })).toEqual({ path: first });
  });

  it('skips files that are not executable and directories', () => {
    file('a/qemu-system-x86_64', '', 0o644);
    fs.mkdirSync(path.join(dir, 'b/qemu-system-x86_64'), { recursive: true });
    const good = file('c/qemu-system-x86_64', '', 0o755);
    const PATH = ['a', 'b', 'c'].map((d) => path.join(dir, d)).join(':');
    expect(findQemu({ env: { PATH } })).toEqual({ path: good });
  });

  it('ignores relative PATH entries', () => {
    file('qemu-system-x86_64', '', 0o755);
    // Relative to the current directory, this entry names the temp dir that has the binary.
    const PATH = `:.:${path.relative(process.cwd(), dir)}`;
    expect(thrown(() => findQemu({ env: { PATH } }))).toMatchObject({ code: 'QEMU_MISSING' });
  });

  it('says which package to install when QEMU is missing', () => {
    const error = thrown(() => findQemu({ env: { PATH: path.join(dir, 'empty') } }));
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: 'QEMU_MISSING',
      message:
        'QEMU is not installed: install the Debian package qemu-system-x86 (apt install qemu-system-x86)',
    });
    expect(thrown(() => findQemu({ env: {} }))).toMatchObject({ code: 'QEMU_MISSING' });
  });

  it('prefers the override, then TESSERA_QEMU, over PATH', () => {
    file('path/qemu-system-x86_64', '', 0o755);
    const fromEnv = file('env/qemu', '', 0o755);
    const fromOption = file('option/qemu', '', 0o755);
    const env = { PATH: path.join(dir, 'path'), TESSERA_QEMU: fromEnv };
    expect(findQemu({ env, override: fromOption })).toEqual({ path: fromOption });
    expect(findQemu({ env })).toEqual({ path: fromEnv });
  });

  it('looks a bare override name up on PATH', () => {
    const custom = file('bin/qemu-custom', '', 0o755);
    expect(findQemu({ env: { PATH: path.join(dir, 'bin'), TESSERA_QEMU: 'qemu-custom' } })).toEqual({
      path: custom,
    });
  });

  it('does not fall back to PATH when the override names nothing usable', () => {
    file('path/qemu-system-x86_64', '', 0o755);
    const missing = path.join(dir, 'nope/qemu');
    const env = { PATH: path.join(dir, 'path'), TESSERA_QEMU: missing };
    expect(thrown(() => findQemu({ env }))).toMatchObject({
      code: 'QEMU_MISSING',
      message: `TESSERA_QEMU ${missing} is not an executable file`,
    });
    expect(thrown(() => findQemu({ env: { PATH: env.PATH }, override: missing }))).toMatchObject({
      code: 'QEMU_MISSING',
      message: `the configured QEMU ${missing} is not an executable file`,
    });
  });
});

describe('findQemuImg', () => {
  it("prefers the qemu-img beside the QEMU in use, then PATH's", () => {
    const own = file('opt/bin/qemu-img', '', 0o755);
    const onPath = file('usr/bin/qemu-img', '', 0o755);
    const env = { PATH: path.join(dir, 'usr/bin') };
    expect(findQemuImg(path.join(dir, 'opt/bin/qemu-system-x86_64'), env)).toBe(own);
    expect(findQemuImg(path.join(dir, 'elsewhere/qemu-system-x86_64'), env)).toBe(onPath);
    expect(findQemuImg(undefined, env)).toBe(onPath);
  });

  it('names the package when there is none', () => {
    expect(thrown(() => findQemuImg(undefined, { PATH: path.join(dir, 'empty') }))).toMatchObject({
      code: 'QEMU_MISSING',
      message: expect.stringContaining('qemu-utils'),
    });
  });
});

describe('qemuVersion', () => {
  it('parses the version line', () => {
    expect(
      parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright'),
    ).toBe('7.2.22');
    expect(parseQemuVersion('QEMU emulator version 8.2\n')).toBe('8.2');
    expect(parseQemuVersion('something else')).toBeUndefined();
  });

  it('runs <qemu> --version', async () => {
    const fake = file(
      'qemu',
      script('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'),
      0o755,
    );
    await expect(qemuVersion(fake)).resolves.toBe('7.2.22');
  });

  it('passes --version as an argument, not through a shell', async () => {
    const fake = file('qemu', '#!/bin/sh\necho "QEMU emulator version 9.9.$#$1"\n', 0o755);
    await expect(qemuVersion(fake)).resolves.toBe('9.9.1');
  });

  it('fails with QEMU_FAILED when the output has no version', async () => {
    const fake = file('qemu', script('not qemu'), 0o755);
    await expect(qemuVersion(fake)).rejects.toMatchObject({
      code: 'QEMU_FAILED',
      message: expect.stringContaining('not qemu'),
    });
  });

  it('fails with QEMU_FAILED and the stderr when QEMU exits with an error', async () => {
    const fake = file('qemu', script('', 3), 0o755);
    await expect(qemuVersion(fake)).rejects.toMatchObject({
      code: 'QEMU_FAILED',
      message: expect.stringContaining('some warning'),
    });
  });

  it('fails with QEMU_MISSING when the binary is gone', async () => {
    await expect(qemuVersion(path.join(dir, 'gone'))).rejects.toMatchObject({ code: 'QEMU_MISSING' });
  });

  it.skipIf(!fs.existsSync('/usr/bin/qemu-system-x86_64'))('reads the installed QEMU', async () => {
    await expect(qemuVersion('/usr/bin/qemu-system-x86_64')).resolves.toMatch(/^\d+\.\d+/);
  });
});

describe('findOvmf', () => {
  it('prefers the 4 MB Debian build', () => {
    for (const name of ['OVMF_CODE_4M.fd', 'OVMF_VARS_4M.fd', 'OVMF_CODE.fd', 'OVMF_VARS.fd']) {
      file(`usr/share/OVMF/${name}`);
    }
    expect(findOvmf({ root: dir })).toEqual({
      ovmfCode: path.join(dir, 'usr/share/OVMF/OVMF_CODE_4M.fd'),
      ovmfVarsTemplate: path.join(dir, 'usr/share/OVMF/OVMF_VARS_4M.fd'),
    });
  });

  it('takes the 2 MB build when that is all there is', () => {
    file('usr/share/OVMF/OVMF_CODE.fd');
    file('usr/share/OVMF/OVMF_VARS.fd');
    expect(findOvmf({ root: dir })).toEqual({
      ovmfCode: path.join(dir, 'usr/share/OVMF/OVMF_CODE.fd'),
      ovmfVarsTemplate: path.join(dir, 'usr/share/OVMF/OVMF_VARS.fd'),
    });
  });

  it('never pairs code and vars from different builds', () => {
    file('usr/share/OVMF/OVMF_CODE_4M.fd');
    file('usr/share/OVMF/OVMF_VARS.fd');
    expect(findOvmf({ root: dir })).toBeNull();
  });

  it('returns null without OVMF', () => {
    expect(findOvmf({ root: dir })).toBeNull();
  });
});
