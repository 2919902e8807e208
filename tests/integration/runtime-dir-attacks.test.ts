/**
 * Issue 18, part 2: with XDG_RUNTIME_DIR unset Tessera falls back to /tmp/tessera-runtime-<uid>,
 * a name any local user can take first. Each test plays one attack seen there. The fallback lives
 * in os.tmpdir(), so every test points TMPDIR at a fresh sticky, world-writable dir (like /tmp).
 * Where ownership matters the attacker is a throw-away Unix user made here (as root, in CI) and
 * removed after; without root those cases are skipped, saying so.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { Backend } from '../../src/main/backend';
import { defaultPaths, type TesseraPaths } from '../../src/main/paths';
import { openBackendLink } from '../../src/main/server/backend-link';
import { runCli } from '../support/cli-process';
import { connectBackend } from '../support/memory-backend';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { buildTinyGuest, tinyVmInput, type TinyGuest } from '../support/tiny-guest';

const isRoot = process.getuid?.() === 0;
const NOT_ROOT = 'needs root to make a second Unix user to play the attacker';

interface Attacker {
  name: string;
  uid: number;
  gid: number;
}

/** A system user with no home and no shell, only for this file's run. */
function makeAttacker(): Attacker {
  const name = `tess-atk-${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/**
 * The attacker's side, run as the attacker's uid when there is one: make `dir` (and the dirs
 * above it that are missing) with `mode`, and listen on `socketPath`, printing a line per
 * connection. Resolves once it listens.
 */
async function plantFakeSocket(
  dirs: string[],
  mode: number,
  socketPath: string,
  attacker?: Attacker,
): Promise<{ child: ChildProcess; connections: () => number }> {
  const script = `
    const fs = require('node:fs'), net = require('node:net');
    for (const d of ${JSON.stringify(dirs)}) { fs.mkdirSync(d); fs.chmodSync(d, ${mode}); }
    const server = net.createServer((c) => { process.stdout.write('connected\\n'); c.on('error', () => {}); });
    server.listen(${JSON.stringify(socketPath)}, () => { fs.chmodSync(${JSON.stringify(socketPath)}, 0o777); process.stdout.write('listening\\n'); });
    process.on('SIGTERM', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(attacker ? { uid: attacker.uid, gid: attacker.gid } : {}),
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the attacker's socket ended: ${output}`);
      if (!output.includes('listening')) throw new Error('not listening yet');
    },
    { timeout: 20_000, interval: 50 },
  );
  return { child, connections: () => output.split('\n').filter((l) => l === 'connected').length };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let attacker: Attacker | undefined;
let guest: TinyGuest;
let home: TempHome;
let tmp: string;
let env: NodeJS.ProcessEnv;
let fakes: ChildProcess[];

beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  if (isRoot) attacker = makeAttacker();
});
afterAll(() => {
  if (attacker) execFileSync('userdel', [attacker.name]);
});

beforeEach(() => {
  home = makeTempHome();
  // Like /tmp: anyone may make entries, nobody may rename or remove another's (sticky).
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-rtd-'));
  fs.chmodSync(tmp, 0o1777);
  env = { ...home.env, TMPDIR: tmp };
  delete env.XDG_RUNTIME_DIR;
  vi.stubEnv('TMPDIR', tmp);
  vi.stubEnv('XDG_RUNTIME_DIR', '');
  fakes = [];
});
afterEach(async () => {
  for (const fake of fakes) await stop(fake);
  killVms(runtimePaths());
  vi.unstubAllEnvs();
  home.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Where this test's Tessera keeps its state, as it works it out itself from the environment. */
function runtimePaths(): TesseraPaths {
  return {
    ...defaultPaths({ ...env, TMPDIR: tmp }),
    configDir: home.paths.configDir,
    dataDir: home.paths.dataDir,
  };
}
const uid = () => process.getuid?.() ?? 0;
const fallback = () => path.join(tmp, `tessera-runtime-${uid()}`);

describe('a runtime dir someone else made first', () => {
  it.each([
    { who: 'another user', asAttacker: true },
    { who: 'anyone (mode 0777, even if it is ours)', asAttacker: false },
  ])(
    'made 0777 by $who with a fake .control.sock: the CLI refuses it and never connects',
    async ({ asAttacker }) => {
      if (asAttacker && !attacker) return void console.warn(`skipped: ${NOT_ROOT}`);
      const dirs = [fallback(), path.join(fallback(), 'tessera')];
      const fake = await plantFakeSocket(
        dirs,
        0o777,
        path.join(fallback(), 'tessera', '.control.sock'),
        asAttacker ? attacker : undefined,
      );
      fakes.push(fake.child);
      for (const args of [
        ['vm', 'list'],
        ['vm', 'create', 'secret', '--memory', '128'],
      ]) {
        const result = await runCli(args, env);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`refusing to use ${fallback()}`);
        expect(result.stderr).toMatch(/its mode is 0777, not 0700|belongs to uid/);
        expect(result.stderr).toContain('set XDG_RUNTIME_DIR');
      }
      expect(fake.connections()).toBe(0);
      expect(fs.existsSync(path.join(home.paths.configDir, 'vms', 'secret.json'))).toBe(false);
    },
    120_000,
  );

  it.skipIf(!isRoot)(
    'made 0700 by another user, with a fake .control.sock: refused as not ours (skipped unless root)',
    async () => {
      const fake = await plantFakeSocket(
        [fallback(), path.join(fallback(), 'tessera')],
        0o700,
        path.join(fallback(), 'tessera', '.control.sock'),
        attacker,
      );
      fakes.push(fake.child);
      const result = await runCli(['vm', 'list'], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`refusing to use ${fallback()}: it belongs to uid ${attacker?.uid}`);
      expect(fake.connections()).toBe(0);
    },
    120_000,
  );

  it('a free name is made 0700 and used: a backend owns the control socket there, and the CLI talks to it', async () => {
    const owner = await openBackendLink({ env, paths: runtimePaths(), accelerator: 'tcg' });
    try {
      expect(owner.owner).toBe(true);
      for (const d of [fallback(), path.join(fallback(), 'tessera')]) {
        expect(fs.lstatSync(d).isDirectory()).toBe(true);
        expect(fs.lstatSync(d).mode & 0o7777).toBe(0o700);
      }
      const result = await runCli(['vm', 'list'], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const joined = await openBackendLink({ env, paths: runtimePaths(), connectOnly: true });
      expect(joined.owner).toBe(false);
      await joined.close();
    } finally {
      await owner.close();
    }
  }, 120_000);
});

describe('a running VM and its runtime dir', () => {
  let backend: Backend;
  let client: Client;
  beforeEach(async () => {
    ({ backend, client } = await connectBackend({ paths: runtimePaths() }));
    await client.call('vm.create', tinyVmInput(guest, 'alpha', 128, { display: { kind: 'none' } }));
  });
  afterEach(async () => {
    await backend.close();
  });

  it("a symlinked tessera/<vm>: vm start refuses it, and the link's target is neither chmod'ed nor filled", async () => {
    const victimHome = path.join(home.root, 'victim-home');
    fs.mkdirSync(victimHome);
    fs.chmodSync(victimHome, 0o755);
    fs.writeFileSync(path.join(victimHome, 'notes.txt'), 'mine\n');
    const runtimeDir = runtimePaths().runtimeDir;
    fs.mkdirSync(path.dirname(runtimeDir), { mode: 0o700 });
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    fs.symlinkSync(victimHome, path.join(runtimeDir, 'alpha'));
    await expect(client.call('vm.start', { id: 'alpha' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(
        `refusing to use ${path.join(runtimeDir, 'alpha')}: it is a symbolic link`,
      ),
    });
    expect(fs.lstatSync(victimHome).mode & 0o7777).toBe(0o755);
    expect(fs.readdirSync(victimHome)).toEqual(['notes.txt']);
    expect((await client.call('vm.get', { id: 'alpha' })).state).not.toBe('running');
  }, 120_000);

  it('repointed at a fake serial.sock while the VM runs: the next serial console open refuses it', async () => {
    await client.call('vm.start', { id: 'alpha' });
    const runtimeDir = runtimePaths().runtimeDir;
    const real = path.join(runtimeDir, 'alpha');
    const moved = path.join(runtimeDir, 'alpha-moved');
    const fakeDir = path.join(tmp, 'fake-vm');
    const fake = await plantFakeSocket([fakeDir], 0o777, path.join(fakeDir, 'serial.sock'), attacker);
    fakes.push(fake.child);
    fs.renameSync(real, moved);
    fs.symlinkSync(fakeDir, real);
    try {
      const grant = await client.call('console.open', { id: 'alpha', kind: 'serial' });
      const channel = await backend.consoles.connect(grant.token);
      expect(channel).toBeUndefined();
      expect(fake.connections()).toBe(0);
    } finally {
      fs.unlinkSync(real);
      fs.renameSync(moved, real);
    }
    // Put back, the VM's own console opens again.
    const grant = await client.call('console.open', { id: 'alpha', kind: 'serial' });
    const channel = await backend.consoles.connect(grant.token);
    expect(channel).toBeDefined();
    channel?.close();
    await client.call('vm.stop', { id: 'alpha', timeoutSeconds: 1 });
  }, 180_000);
});

describe('hostile files where definitions are read', () => {
  let backend: Backend;
  let client: Client;
  beforeEach(async () => {
    ({ backend, client } = await connectBackend({ paths: home.paths }));
    await client.call('vm.create', tinyVmInput(guest, 'keeper', 128));
  });
  afterEach(async () => {
    await backend.close();
  });

  /** vm.list, or a failure after a while: a regression must fail, not hang the run. */
  const listWithin = (ms: number) =>
    Promise.race([
      client.call('vm.list', {}),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`vm.list did not answer in ${ms} ms`)), ms),
      ),
    ]);

  it('a FIFO and a link to /dev/zero in vms/ are reported by name; the others still list, at once', async () => {
    const vms = path.join(home.paths.configDir, 'vms');
    const fifo = path.join(vms, 'fifo.json');
    const zero = path.join(vms, 'zero.json');
    execFileSync('mkfifo', [fifo]);
    fs.symlinkSync('/dev/zero', zero);
    const listed = await listWithin(15_000);
    expect(listed.vms.map((v) => v.id)).toEqual(['keeper']);
    expect(listed.invalid).toEqual([
      { file: fifo, reason: 'cannot read it: it is a FIFO (named pipe), not a regular file' },
      { file: zero, reason: 'cannot read it: it is a character device, not a regular file' },
    ]);
    // Asked for by name, it says what is wrong too, and nothing waits on the FIFO.
    await expect(client.call('vm.get', { id: 'fifo' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('FIFO'),
    });
  }, 60_000);

  it('a definition that is a link to a secret says what is wrong, not what is in it', async () => {
    const secret = path.join(home.root, 'shadow');
    fs.writeFileSync(secret, 'root:*:20210:0:99999:7:::\n', { mode: 0o600 });
    const link = path.join(home.paths.configDir, 'vms', 'secret.json');
    fs.symlinkSync(secret, link);
    const listed = await listWithin(15_000);
    const reported = listed.invalid.find((i) => i.file === link);
    expect(reported?.reason).toMatch(/^not valid JSON/);
    expect(JSON.stringify(listed)).not.toContain('root:*');
    await expect(client.call('vm.get', { id: 'secret' })).rejects.toSatisfy(
      (error: Error) => !error.message.includes('root:*'),
    );
  }, 60_000);

  it('settings.json as a FIFO is an IO error naming it, not a hang', async () => {
    fs.mkdirSync(home.paths.configDir, { recursive: true });
    const file = path.join(home.paths.configDir, 'settings.json');
    execFileSync('mkfifo', [file]);
    const got = Promise.race([
      client.call('settings.get', {}),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('settings.get hung')), 15_000)),
    ]);
    await expect(got).rejects.toMatchObject({
      code: 'IO',
      message: `cannot read ${file}: it is a FIFO (named pipe), not a regular file`,
    });
  }, 60_000);
});

// Issue 14.5: the other side of the same dirs. The user's backend runs and owns its control
// socket; a real second user on the host tries to reach it, directly and through its own CLI.
describe("a second user and the user's running backend", () => {
  /** Run `script` as the attacker; what it prints. */
  function asAttacker(script: string): string {
    return execFileSync(process.execPath, ['-e', script], {
      uid: attacker?.uid,
      gid: attacker?.gid,
      env: { PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    }).trim();
  }

  it.skipIf(!isRoot)(
    'cannot connect to its control socket, list its runtime dir, or point its own CLI there (needs root for the second user)',
    async () => {
      const owner = await openBackendLink({ env, paths: runtimePaths(), accelerator: 'tcg' });
      try {
        const { runtimeDir } = runtimePaths();
        const socket = path.join(runtimeDir, '.control.sock');
        // What keeps the second user out: the dirs 0700 and the socket 0600, all the user's own.
        for (const [file, mode] of [
          [fallback(), 0o700],
          [runtimeDir, 0o700],
          [socket, 0o600],
        ] as const) {
          const stat = fs.lstatSync(file);
          expect([stat.mode & 0o7777, stat.uid], file).toEqual([mode, uid()]);
        }
        expect(fs.lstatSync(socket).isSocket()).toBe(true);
        // The kernel refuses the second user at the dir, before the socket is even looked at.
        const tries = asAttacker(`
          const fs = require('node:fs'), net = require('node:net');
          const out = [];
          try { fs.readdirSync(${JSON.stringify(runtimeDir)}); out.push('listed'); } catch (e) { out.push(e.code); }
          const c = net.connect(${JSON.stringify(socket)});
          c.on('connect', () => { out.push('connected'); console.log(out.join(' ')); process.exit(0); });
          c.on('error', (e) => { out.push(e.code); console.log(out.join(' ')); process.exit(0); });
        `);
        expect(tries).toBe('EACCES EACCES');
        // The second user's CLI, told the user's runtime dir is its own, refuses it as not its own.
        const theirs = fs.mkdtempSync(path.join(tmp, 'attacker-home-'));
        fs.chownSync(theirs, attacker?.uid ?? 0, attacker?.gid ?? 0);
        const cli = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'tessera.js'), 'vm', 'list'], {
            uid: attacker?.uid,
            gid: attacker?.gid,
            cwd: theirs,
            env: {
              PATH: '/usr/bin:/bin',
              HOME: theirs,
              XDG_RUNTIME_DIR: path.dirname(runtimeDir),
              XDG_CONFIG_HOME: path.join(theirs, 'config'),
              XDG_DATA_HOME: path.join(theirs, 'data'),
              XDG_CACHE_HOME: path.join(theirs, 'cache'),
              TESSERA_ACCEL: 'tcg',
            },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.once('exit', (code) => resolve({ code, stderr }));
        });
        expect(cli.code, cli.stderr).toBe(1);
        expect(cli.stderr).toContain(`refusing to use ${runtimeDir}: cannot look at it (EACCES)`);
        // And the user's own CLI still gets its backend.
        const own = await runCli(['vm', 'list'], env);
        expect([own.code, own.stderr]).toEqual([0, '']);
      } finally {
        await owner.close();
      }
    },
    120_000,
  );
  if (!isRoot) console.warn(`skipped the second-user check: ${NOT_ROOT}`);
});
