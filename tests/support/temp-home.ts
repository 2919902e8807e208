import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPaths, type TesseraPaths } from '../../src/main/paths';
import { testRoots } from './test-roots';

export interface TempHome {
  root: string;
  paths: TesseraPaths;
  /** Environment for a child `tessera` process living in this home. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export interface TempHomeOptions {
  /**
   * Leave the accelerator to Tessera, as on a user's machine (the KVM probe decides), instead of
   * forcing TCG: for the tests that check what a new user gets.
   */
  ownAccelerator?: boolean;
}

/** A fresh XDG home per test: config, runtime and data dirs under one temp root. */
export function makeTempHome(prefix = 'tessera-', options: TempHomeOptions = {}): TempHome {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  testRoots.add(root);
  const config = path.join(root, 'config');
  const runtime = path.join(root, 'run');
  const data = path.join(root, 'data');
  for (const d of [config, runtime, data]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  return {
    root,
    paths: {
      configDir: path.join(config, 'tessera'),
      runtimeDir: path.join(runtime, 'tessera'),
      dataDir: path.join(data, 'tessera'),
      // The machine's own: what its QEMU can do is the same for every test, and probing takes half a second.
      cacheDir: defaultPaths(process.env).cacheDir,
    },
    env: {
      ...withoutAccelerator(process.env),
      XDG_CONFIG_HOME: config,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: data,
      ...(options.ownAccelerator === true ? {} : { TESSERA_ACCEL: 'tcg' }),
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function withoutAccelerator(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest.TESSERA_ACCEL;
  return rest;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const TINY_GUEST_DIR = path.join(REPO_ROOT, '.cache', 'tiny-guest');

/** Tests must not leave QEMUs behind, whatever happened: kill every VM with a pidfile in this home. */
export function killVms(paths: TesseraPaths): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(paths.runtimeDir);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const pid = Number(fs.readFileSync(path.join(paths.runtimeDir, name, 'qemu.pid'), 'utf8').trim());
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch {
      // no pidfile or already gone
    }
  }
}
