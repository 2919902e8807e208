import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  UnsafeRuntimeDir,
  checkControlSocket,
  checkRuntimeDir,
  checkVmSocket,
  dirsToCheck,
  ensureRuntimeDir,
  ensureVmRuntimeDir,
  fallbackRuntimeBase,
  ownUid,
  privateDirProblem,
  type DirFacts,
} from './private-dir';

const good: DirFacts = { isDirectory: true, isSymbolicLink: false, uid: 1000, mode: 0o040700 };

describe('privateDirProblem', () => {
  it('accepts a real 0700 dir of ours', () => {
    expect(privateDirProblem(good, 1000)).toBeUndefined();
  });
  it.each([
    [{ ...good, isSymbolicLink: true, isDirectory: false }, /symbolic link/],
    [{ ...good, isDirectory: false }, /not a directory/],
    [{ ...good, uid: 1001 }, /belongs to uid 1001, not to this user \(uid 1000\)/],
    [{ ...good, mode: 0o040777 }, /mode is 0777, not 0700/],
    [{ ...good, mode: 0o041700 }, /mode is 1700/],
    [{ ...good, mode: 0o040750 }, /mode is 0750/],
    [{ ...good, mode: 0o040500 }, /mode is 0500/],
  ])('refuses %o', (facts, reason) => {
    expect(privateDirProblem(facts, 1000)).toMatch(reason);
  });
});

describe('dirsToCheck', () => {
  it('checks the /tmp fallback above the runtime dir, and not $XDG_RUNTIME_DIR', () => {
    const base = fallbackRuntimeBase(1000);
    expect(base).toBe(path.join(os.tmpdir(), 'tessera-runtime-1000'));
    expect(dirsToCheck(path.join(base, 'tessera'), 1000)).toEqual([base, path.join(base, 'tessera')]);
    expect(dirsToCheck('/run/user/1000/tessera', 1000)).toEqual(['/run/user/1000/tessera']);
    // Another uid's fallback is not ours to make: only the dir itself is judged (and refused, not ours).
    expect(dirsToCheck(path.join(fallbackRuntimeBase(1001), 'tessera'), 1000)).toHaveLength(1);
  });
});

describe('runtime dirs on disk', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-private-'));
    // The fallback lives in os.tmpdir(), which follows TMPDIR.
    vi.stubEnv('TMPDIR', tmp);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const runtimeDir = () => path.join(fallbackRuntimeBase(), 'tessera');
  const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;

  it('makes the fallback and tessera/ 0700 whatever the umask lets through', async () => {
    const old = process.umask(0o277);
    try {
      await ensureRuntimeDir(runtimeDir());
    } finally {
      process.umask(old);
    }
    expect(modeOf(fallbackRuntimeBase())).toBe(0o700);
    expect(modeOf(runtimeDir())).toBe(0o700);
    expect(await checkRuntimeDir(runtimeDir())).toBe(true);
  });

  it('says a missing runtime dir is missing, and makes nothing', async () => {
    expect(await checkRuntimeDir(runtimeDir())).toBe(false);
    expect(fs.existsSync(fallbackRuntimeBase())).toBe(false);
  });

  it('refuses a pre-made 0777 fallback, naming it and XDG_RUNTIME_DIR, and leaves it as it is', async () => {
    fs.mkdirSync(fallbackRuntimeBase());
    fs.chmodSync(fallbackRuntimeBase(), 0o777);
    const refused = ensureRuntimeDir(runtimeDir());
    await expect(refused).rejects.toBeInstanceOf(UnsafeRuntimeDir);
    await expect(refused).rejects.toThrow(
      new RegExp(`refusing to use ${fallbackRuntimeBase()}: its mode is 0777.*set XDG_RUNTIME_DIR`),
    );
    expect(modeOf(fallbackRuntimeBase())).toBe(0o777);
    expect(fs.existsSync(runtimeDir())).toBe(false);
    await expect(checkRuntimeDir(runtimeDir())).rejects.toBeInstanceOf(UnsafeRuntimeDir);
  });

  it('refuses a fallback, tessera/ or VM dir that is a symlink, and never writes through it', async () => {
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o755 });
    fs.chmodSync(elsewhere, 0o755);
    fs.symlinkSync(elsewhere, fallbackRuntimeBase());
    await expect(ensureRuntimeDir(runtimeDir())).rejects.toThrow(/symbolic link/);
    fs.unlinkSync(fallbackRuntimeBase());

    await ensureRuntimeDir(runtimeDir());
    const vmDir = path.join(runtimeDir(), 'alpha');
    fs.symlinkSync(elsewhere, vmDir);
    await expect(ensureVmRuntimeDir(vmDir)).rejects.toThrow(
      new RegExp(`refusing to use ${vmDir}: it is a symbolic link`),
    );
    expect(modeOf(elsewhere)).toBe(0o755);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('checks a VM socket and the control socket: a socket of ours in a dir of ours, nothing else', async () => {
    await ensureVmRuntimeDir(path.join(runtimeDir(), 'alpha'));
    const socketPath = path.join(runtimeDir(), 'alpha', 'serial.sock');
    await expect(checkVmSocket(socketPath)).rejects.toThrow(/does not exist/);
    fs.writeFileSync(socketPath, '');
    await expect(checkVmSocket(socketPath)).rejects.toThrow(/it is not a socket/);
    fs.rmSync(socketPath);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await expect(checkVmSocket(socketPath)).resolves.toBeUndefined();
      fs.chmodSync(path.join(runtimeDir(), 'alpha'), 0o755);
      await expect(checkVmSocket(socketPath)).rejects.toThrow(/mode is 0755/);
    } finally {
      server.close();
    }
    const control = path.join(runtimeDir(), '.control.sock');
    expect(await checkControlSocket(control)).toBe(false);
    fs.writeFileSync(control, '');
    await expect(checkControlSocket(control)).rejects.toThrow(/not a socket/);
  });

  it.skipIf(ownUid() !== 0)('refuses a 0700 dir of another user (as root: chown to uid 65534)', async () => {
    fs.mkdirSync(fallbackRuntimeBase(), { mode: 0o700 });
    fs.chownSync(fallbackRuntimeBase(), 65534, 65534);
    await expect(ensureRuntimeDir(runtimeDir())).rejects.toThrow(
      /belongs to uid 65534, not to this user \(uid 0\)/,
    );
  });
});
