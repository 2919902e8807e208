import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { TesseraError } from '../../shared/errors';

export const QEMU_BINARY_NAME = 'qemu-system-x86_64';

const INSTALL_HINT = 'install the Debian package qemu-system-x86 (apt install qemu-system-x86)';

export interface FindQemuOptions {
  env: NodeJS.ProcessEnv;
  /** From createBackend's options; wins over TESSERA_QEMU. */
  override?: string;
}

/**
 * The QEMU binary: an explicit override (option, then TESSERA_QEMU) or the first
 * qemu-system-x86_64 on PATH. An override that names nothing usable is an error rather than a
 * quiet fall back to PATH, so a typo cannot run a different QEMU than the one asked for.
 */
export function findQemu(opts: FindQemuOptions): { path: string } {
  const explicit = nonEmpty(opts.override) ?? nonEmpty(opts.env.TESSERA_QEMU);
  if (explicit !== undefined) {
    const found = explicit.includes('/')
      ? executableAt(path.resolve(explicit))
      : searchPath(explicit, opts.env);
    if (found === undefined) {
      const source = nonEmpty(opts.override) !== undefined ? 'the configured QEMU' : 'TESSERA_QEMU';
      throw new TesseraError('QEMU_MISSING', `${source} ${explicit} is not an executable file`, {
        path: explicit,
      });
    }
    return { path: found };
  }
  const found = searchPath(QEMU_BINARY_NAME, opts.env);
  if (found === undefined) throw new TesseraError('QEMU_MISSING', `QEMU is not installed: ${INSTALL_HINT}`);
  return { path: found };
}

/**
 * qemu-img from the same install as the QEMU in use (a QEMU built from source keeps its own
 * beside it), else the first on PATH.
 */
export function findQemuImg(qemuBinary: string | undefined, env: NodeJS.ProcessEnv): string {
  const beside =
    qemuBinary === undefined ? undefined : executableAt(path.join(path.dirname(qemuBinary), 'qemu-img'));
  const found = beside ?? searchPath('qemu-img', env);
  if (found === undefined) {
    throw new TesseraError(
      'QEMU_MISSING',
      'qemu-img is not installed: install the Debian package qemu-utils (apt install qemu-utils)',
    );
  }
  return found;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function searchPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  // Empty PATH entries mean the current directory; a VM runner should not pick up ./qemu-*.
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const found = executableAt(path.join(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

function executableAt(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return undefined;
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** `7.2.22` from "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)". */
export function parseQemuVersion(output: string): string | undefined {
  return /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

export function qemuVersion(qemuPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(qemuPath, ['--version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') {
          reject(new TesseraError('QEMU_MISSING', `cannot run ${qemuPath}: ${INSTALL_HINT}`));
        } else {
          const detail = stderr.trim() || error.message;
          reject(new TesseraError('QEMU_FAILED', `${qemuPath} --version failed: ${detail}`));
        }
        return;
      }
      const version = parseQemuVersion(stdout);
      if (version === undefined) {
        const firstLine = stdout.split('\n', 1)[0] ?? '';
        reject(
          new TesseraError(
            'QEMU_FAILED',
            `${qemuPath} --version did not print a QEMU version: "${firstLine}"`,
          ),
        );
        return;
      }
      resolve(version);
    });
  });
}

export interface OvmfFiles {
  ovmfCode: string;
  /** Copied per VM: the variable store is written by the guest. */
  ovmfVarsTemplate: string;
}

// Code and vars must come from the same build (the flash layout differs between 2 MB and 4 MB
// images), so they are looked up as pairs. Secure-boot builds are left out: they need SMM.
const OVMF_PAIRS: readonly (readonly [code: string, vars: string])[] = [
  ['usr/share/OVMF/OVMF_CODE_4M.fd', 'usr/share/OVMF/OVMF_VARS_4M.fd'], // Debian, Ubuntu: 4 MB build
  ['usr/share/OVMF/OVMF_CODE.fd', 'usr/share/OVMF/OVMF_VARS.fd'], // Debian, Ubuntu: 2 MB build
  ['usr/share/edk2/ovmf/OVMF_CODE.fd', 'usr/share/edk2/ovmf/OVMF_VARS.fd'], // Fedora
  ['usr/share/edk2/x64/OVMF_CODE.4m.fd', 'usr/share/edk2/x64/OVMF_VARS.4m.fd'], // Arch
];

export function findOvmf(opts: { root?: string } = {}): OvmfFiles | null {
  const root = opts.root ?? '/';
  for (const [code, vars] of OVMF_PAIRS) {
    const ovmfCode = path.join(root, code);
    const ovmfVarsTemplate = path.join(root, vars);
    if (isFile(ovmfCode) && isFile(ovmfVarsTemplate)) return { ovmfCode, ovmfVarsTemplate };
  }
  return null;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
