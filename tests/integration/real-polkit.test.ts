/**
 * The privilege path as it runs on a user's machine: Debian's polkitd and pkexec on a system D-Bus,
 * the policy from build/polkit, the launcher from build/tessera-helper at the path the policy names,
 * and Tessera's real helper client run as a throw-away non-root user. Rules in
 * /etc/polkit-1/rules.d/ decide per user: one is allowed (polkit.Result.YES), one is refused
 * (polkit.Result.NO), and one has no rule, so polkit wants an administrator's password and finds no
 * authentication agent to ask with. Everything put outside the temp dir is removed afterwards, and a
 * file that was there before is put back.
 *
 * `grant-vfio` needs a device on vfio-pci with an IOMMU group in sysfs, which a machine without an
 * IOMMU (this one, a CI VM) has not, and sysfs takes no new files. So for that one case the client
 * runs in a private mount namespace (unshare(1)) where a simulated host's sysfs (the Alder Lake-P
 * tree, VF1 on vfio-pci in group 17) is bind-mounted over /sys; polkit, pkexec, PKEXEC_UID and the
 * helper's chown are real, and the node it chowns is a real character device the test makes in
 * /dev/vfio (/dev/null's numbers, so nothing can be done with it).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HELPER_LAUNCHER } from '../../src/main/gpu/helper-client';
import { changedPaths, helperHost, snapshotTree, type HelperHost } from '../support/helper-host';
import { REPO_ROOT } from '../support/temp-home';

const POLKITD = '/usr/lib/polkit-1/polkitd';
const PKEXEC = '/usr/bin/pkexec';
const SYSTEM_BUS = '/run/dbus/system_bus_socket';
const HELPER_BUNDLE = path.join(REPO_ROOT, 'out', 'helper', 'index.js');

function whyNot(): string | null {
  if (process.getuid?.() !== 0) return 'needs root, to install the polkit action and make a non-root user';
  for (const file of [POLKITD, PKEXEC, '/usr/bin/dbus-daemon'])
    if (!fs.existsSync(file)) return `needs ${file} (Debian packages polkitd, pkexec, dbus-daemon)`;
  if (!fs.existsSync(HELPER_BUNDLE)) return `needs the built helper ${HELPER_BUNDLE}: run npm run build`;
  return null;
}
const skipReason = whyNot();
if (skipReason) console.warn(`real-polkit: skipped: ${skipReason}`);

interface Installed {
  file: string;
  /** What was there before, put back afterwards; null when nothing was. */
  before: Buffer | null;
}
const installed: Installed[] = [];
const madeDirs: string[] = [];
const madeNodes: string[] = [];
function makeParent(file: string): void {
  for (let dir = path.dirname(file); !fs.existsSync(dir); dir = path.dirname(dir)) madeDirs.unshift(dir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
}
function install(file: string, content: string | Buffer, mode: number): void {
  makeParent(file);
  installed.push({ file, before: fs.existsSync(file) ? fs.readFileSync(file) : null });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

const users: string[] = [];
function makeUser(role: string): string {
  const name = `tess-pk${role}-${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  users.push(name);
  return name;
}

const started: ChildProcess[] = [];
let startedBus: number | null = null;
let madeRunDbus = false;
let tmp = '';
let clientScript = '';
let hostRootLauncher = '';
let allowed = '';
let refused = '';
let unruled = '';
let simulated: HelperHost | undefined;

interface ClientOutcome {
  result?: { ok: boolean; error?: { code: string; message: string } };
  error?: { code: string; message: string; stack?: string };
}

/**
 * Tessera's helper client, run as `user`, applies `steps` through real pkexec; with `sys`, in a
 * mount namespace of its own where that directory is /sys (and so for pkexec and the helper too).
 */
function runClientAs(
  user: string,
  steps: unknown[],
  options: { launcher?: string; sys?: string } = {},
): ClientOutcome {
  const client = [
    'runuser',
    ...['-u', user, '--', process.execPath, clientScript, JSON.stringify({ version: 1, steps })],
    options.launcher ?? HELPER_LAUNCHER,
  ];
  const [program = '', ...args] =
    options.sys === undefined
      ? client
      : [
          ...['unshare', '--mount', '--propagation', 'private', '--'],
          ...['sh', '-ec', 'mount --bind "$0" /sys; exec "$@"', options.sys, ...client],
        ];
  const out = spawnSync(program, args, { encoding: 'utf8', timeout: 60_000, cwd: tmp });
  if (out.status !== 0) throw new Error(`the client script failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout) as ClientOutcome;
}

/** pkexec itself, run as `user` on the installed launcher: its exit status and what it printed. */
function pkexecAs(user: string): { status: number | null; stderr: string } {
  const out = spawnSync('runuser', ['-u', user, '--', PKEXEC, HELPER_LAUNCHER], {
    input: JSON.stringify({ version: 1, steps: [] }),
    encoding: 'utf8',
    timeout: 60_000,
    cwd: tmp,
  });
  return { status: out.status, stderr: out.stderr.trim() };
}

function busHasPolkit(): boolean {
  const out = spawnSync(
    'dbus-send',
    [
      '--system',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      'string:org.freedesktop.PolicyKit1',
    ],
    { encoding: 'utf8' },
  );
  return out.status === 0 && out.stdout.includes('boolean true');
}

describe.skipIf(skipReason !== null)('the helper through real polkit and pkexec', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-polkit-'));
    // The users run the client script from here.
    fs.chmodSync(tmp, 0o755);
    allowed = makeUser('y');
    refused = makeUser('n');
    unruled = makeUser('x');

    // The client as the app bundles it, so a non-root user runs it with plain node.
    const entry = path.join(tmp, 'client-entry.ts');
    fs.writeFileSync(
      entry,
      [
        `import { createHelperClient } from ${JSON.stringify(path.join(REPO_ROOT, 'src/main/gpu/helper-client.ts'))};`,
        `const client = createHelperClient({ hostRoot: '/', launcher: process.argv[3] });`,
        `try {`,
        `  process.stdout.write(JSON.stringify({ result: await client.run(JSON.parse(process.argv[2])) }));`,
        `} catch (e) {`,
        `  process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message, stack: e.stack } }));`,
        `}`,
      ].join('\n'),
    );
    clientScript = path.join(tmp, 'client.mjs');
    await build({
      entryPoints: [entry],
      outfile: clientScript,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
    await stopEsbuild();
    fs.chmodSync(clientScript, 0o644);

    // The package's files at the paths the package puts them (build/tessera-helper names them).
    install(
      '/usr/share/polkit-1/actions/org.tessera.helper.policy',
      fs.readFileSync(path.join(REPO_ROOT, 'build/polkit/org.tessera.helper.policy')),
      0o644,
    );
    install(HELPER_LAUNCHER, fs.readFileSync(path.join(REPO_ROOT, 'build/tessera-helper')), 0o755);
    install('/usr/lib/tessera/helper/index.js', fs.readFileSync(HELPER_BUNDLE), 0o644);

    // A second action, only for this test, whose launcher asks the same helper for another host
    // root: what a user who could set the helper's environment would try.
    const fakeRoot = path.join(tmp, 'fake-root');
    fs.mkdirSync(fakeRoot);
    hostRootLauncher = path.join(tmp, 'host-root-launcher');
    fs.writeFileSync(
      hostRootLauncher,
      `#!/bin/sh\nTESSERA_HOST_ROOT=${fakeRoot} exec /usr/bin/node /usr/lib/tessera/helper/index.js\n`,
      { mode: 0o755 },
    );
    install(
      '/usr/share/polkit-1/actions/org.tessera.test-host-root.policy',
      fs
        .readFileSync(path.join(REPO_ROOT, 'build/polkit/org.tessera.helper.policy'), 'utf8')
        .replace('id="org.tessera.helper"', 'id="org.tessera.test-host-root"')
        .replace(HELPER_LAUNCHER, hostRootLauncher),
      0o644,
    );
    install(
      '/etc/polkit-1/rules.d/10-tessera-test.rules',
      [
        `polkit.addRule(function (action, subject) {`,
        `  if (action.id !== "org.tessera.helper" && action.id !== "org.tessera.test-host-root") return polkit.Result.NOT_HANDLED;`,
        `  if (subject.user === ${JSON.stringify(allowed)}) return polkit.Result.YES;`,
        `  if (subject.user === ${JSON.stringify(refused)}) return polkit.Result.NO;`,
        `  return polkit.Result.NOT_HANDLED;`,
        `});`,
        ``,
      ].join('\n'),
      0o644,
    );

    // A system bus and polkitd, when this machine (a container, no systemd) has none running.
    if (!fs.existsSync(SYSTEM_BUS)) {
      madeRunDbus = !fs.existsSync('/run/dbus');
      fs.mkdirSync('/run/dbus', { recursive: true });
      fs.rmSync('/run/dbus/pid', { force: true });
      const pid = execFileSync('dbus-daemon', ['--system', '--fork', '--print-pid'], { encoding: 'utf8' });
      startedBus = Number(pid.trim());
    }
    if (!busHasPolkit()) {
      const polkitd = spawn(POLKITD, ['--no-debug'], { stdio: 'ignore' });
      started.push(polkitd);
    }
    await vi.waitFor(() => expect(busHasPolkit()).toBe(true), { timeout: 30_000, interval: 200 });
  }, 120_000);

  afterAll(async () => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
    }
    if (startedBus !== null) {
      try {
        process.kill(startedBus, 'SIGTERM');
      } catch {
        // already gone
      }
      fs.rmSync('/run/dbus/pid', { force: true });
      fs.rmSync(SYSTEM_BUS, { force: true });
      if (madeRunDbus) fs.rmSync('/run/dbus', { recursive: true, force: true });
    }
    for (const { file, before } of installed.reverse()) {
      if (before === null) fs.rmSync(file, { force: true });
      else fs.writeFileSync(file, before);
    }
    for (const node of madeNodes) fs.rmSync(node, { force: true });
    for (const dir of madeDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    simulated?.cleanup();
    for (const user of users) execFileSync('userdel', [user]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('runs the helper as root for an allowed user; on a machine with no Intel GPU it refuses in words', async () => {
    // polkitd reads rules.d when it starts and again when the folder changes: poll until it has.
    let outcome: ClientOutcome = {};
    await vi.waitFor(
      () => {
        outcome = runClientAs(allowed, [{ op: 'set-vf-count', pf: '0000:00:1f.7', count: 2 }]);
        expect(outcome.result).toBeDefined();
      },
      { timeout: 30_000, interval: 500 },
    );
    console.info(`real-polkit: allowed user: ${JSON.stringify(outcome)}`);
    expect(outcome.result).toMatchObject({
      ok: false,
      error: { code: 'BAD_TARGET', message: 'there is no PCI device 0000:00:1f.7' },
    });
  });

  it('under pkexec, refuses a host root other than /', () => {
    const outcome = runClientAs(allowed, [{ op: 'set-vf-count', pf: '0000:00:02.0', count: 2 }], {
      launcher: hostRootLauncher,
    });
    console.info(`real-polkit: other host root: ${JSON.stringify(outcome)}`);
    expect(outcome.result?.ok).toBe(false);
    expect(outcome.result?.error?.code).toBe('ROOT_REFUSED');
    expect(outcome.result?.error?.message).toContain('changes this machine (/) only');
  });

  // The Alder Lake-P tree has VF1 (0000:00:02.1) on vfio-pci in IOMMU group 17.
  it.skipIf(fs.existsSync('/dev/vfio/17'))(
    'grant-vfio under pkexec gives the group node to the caller (PKEXEC_UID) and changes nothing else',
    () => {
      simulated = helperHost('adl-p');
      const sysBefore = snapshotTree(simulated.at('/sys'));
      // Nodes as the kernel makes them (root's, 0600): the group's, another group's, the container.
      const nodes = ['/dev/vfio/17', '/dev/vfio/16', '/dev/vfio/vfio'].filter((n) => !fs.existsSync(n));
      for (const node of nodes) {
        makeParent(node);
        madeNodes.push(node);
        execFileSync('mknod', ['-m', '0600', node, 'c', '1', '3']);
      }
      const look = () =>
        nodes.map((node) => {
          const { uid, gid, mode, rdev } = fs.statSync(node);
          return { node, uid, gid, mode, rdev };
        });
      const before = look();
      const uid = Number(execFileSync('id', ['-u', allowed], { encoding: 'utf8' }).trim());

      const outcome = runClientAs(allowed, [{ op: 'grant-vfio', device: '0000:00:02.1' }], {
        sys: simulated.at('/sys'),
      });
      console.info(`real-polkit: grant-vfio: ${JSON.stringify(outcome)}`);
      expect(outcome.result).toMatchObject({
        ok: true,
        applied: [{ op: 'grant-vfio', writes: [{ path: '/dev/vfio/17', value: `owner uid ${uid}` }] }],
      });
      expect(look()).toEqual(before.map((n) => (n.node === '/dev/vfio/17' ? { ...n, uid } : n)));
      expect(changedPaths(sysBefore, snapshotTree(simulated.at('/sys')))).toEqual([]);
      // The helper has no verb that gives a group node back: it goes away when the device leaves
      // vfio-pci (docs/sriov-sysfs.md#vfio-device-nodes), so the test gives it back by removing it, in afterAll.
    },
  );

  it('reports "not authorised" in words when a rule says no', () => {
    const outcome = runClientAs(refused, [{ op: 'set-vf-count', pf: '0000:00:1f.7', count: 2 }]);
    console.info(`real-polkit: refused user: ${JSON.stringify(outcome)}`);
    const direct = pkexecAs(refused);
    console.info(`real-polkit: pkexec for the refused user: ${JSON.stringify(direct)}`);
    expect(direct.status).toBe(127);
    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.code).toBe('UNAVAILABLE');
    expect(outcome.error?.message).toMatch(/not authori[sz]ed/i);
    expect(outcome.error?.message).toContain('nothing was changed');
  });

  it('reports "no authentication agent" in words when polkit would ask for a password and nothing can ask', () => {
    const outcome = runClientAs(unruled, [{ op: 'set-vf-count', pf: '0000:00:1f.7', count: 2 }]);
    console.info(`real-polkit: user with no rule: ${JSON.stringify(outcome)}`);
    const direct = pkexecAs(unruled);
    console.info(`real-polkit: pkexec for the user with no rule: ${JSON.stringify(direct)}`);
    expect(direct.status).toBe(127);
    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.code).toBe('UNAVAILABLE');
    expect(outcome.error?.message).toMatch(/no authentication agent/i);
    expect(outcome.error?.message).toContain('nothing was changed');
  });
});
