import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/shared/host-report';
import { bootProbe, writeProbeImage } from '../../src/main/host/kvm-probe';
import { findQemu } from '../../src/main/host/qemu-binary';
import { runCli, stopProcess } from '../support/cli-process';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';

/**
 * What a new user meets, with the accelerator Tessera picks by itself (no TESSERA_ACCEL): the
 * README's commands as written, the doctor against libvirt's virt-host-validate, and a guest that
 * never speaks.
 */

let home: TempHome;
let guest: TinyGuest;
const children: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-node.mjs')], { cwd: REPO_ROOT });
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-first-', { ownAccelerator: true });
});

afterAll(async () => {
  await Promise.all(children.map((c) => stopProcess(c, 'SIGKILL')));
  killVms(home.paths);
  home.cleanup();
});

/** The shell commands of the README's first ```sh block after `heading`, continuation lines joined. */
function readmeCommands(heading: string): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`no sh block under "## ${heading}" in README.md`);
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '');
}

function sh(
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { cwd: REPO_ROOT, env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function doctor(): Promise<DoctorReport> {
  return JSON.parse((await runCli(['doctor', '--json'], home.env)).stdout) as DoctorReport;
}

describe('the first five minutes, with the accelerator Tessera chooses', () => {
  it(
    "runs the README's first VM as written, and says which accelerator and why",
    { timeout: 300_000 },
    async () => {
      expect(home.env.TESSERA_ACCEL).toBeUndefined();
      const commands = readmeCommands('A first VM from the command line');
      expect(commands[0]).toBe('npm run tiny-guest');
      const results: string[] = [];
      for (const command of commands) {
        // The serial console is interactive: consoles.test.ts drives it.
        if (command.includes(' vm serial ')) continue;
        const result = await sh(command, home.env);
        expect({ command, code: result.code, stderr: result.stderr }).toEqual({
          command,
          code: 0,
          stderr: '',
        });
        results.push(result.stdout);
      }
      const start = results[commands.findIndex((c) => c.includes(' vm start '))] ?? '';
      const report = await doctor();
      const { accelerator, reason } = report.facts.accelerator;
      expect(reason).not.toMatch(/^TESSERA_ACCEL/);
      // Under TCG, the start says so and why in one sentence (the same the doctor's kvm check gives).
      if (accelerator === 'tcg') expect(start).toMatch(/^note: .*\(TCG\)[^\n]*\.\n$/m);
      else expect(start).not.toContain('note:');
      // The accelerator is KVM exactly when the test guest ran under it.
      expect(accelerator === 'kvm').toBe(report.facts.kvm.probe?.ok === true);
      expect(guest.kernel).toBe(path.join(TINY_GUEST_DIR, 'vmlinuz'));
    },
  );

  it("serves the UI with the README's run command as written; .ci/run runs its set-up command", async () => {
    const [setup, run] = readmeCommands('Set up on a fresh machine');
    expect(setup).toBe('./setup.sh');
    expect(fs.readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8')).toMatch(/^\.\/setup\.sh$/m);
    expect(run).toBe('npx tessera serve');
    // Its own process group: npx runs tessera as a child, and both must go at the end.
    const serve = spawn('bash', ['-c', `exec ${run ?? ''}`], {
      detached: true,
      cwd: REPO_ROOT,
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    let output = '';
    serve.stdout.on('data', (c: Buffer) => (output += c.toString()));
    serve.stderr.on('data', (c: Buffer) => (output += c.toString()));
    let link: string | undefined;
    await waitFor(() => (link = /(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(output)?.[1]) !== undefined);
    const page = await fetch(link ?? '', { redirect: 'manual' });
    expect([200, 302, 303]).toContain(page.status);
    const ended = new Promise((resolve) => serve.once('exit', resolve));
    if (serve.pid !== undefined) process.kill(-serve.pid, 'SIGTERM');
    await ended;
    // npx's tessera child goes too: nothing answers on the control socket for the next test.
    const control = path.join(home.paths.runtimeDir, '.control.sock');
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(control);
          socket.once('connect', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(true));
        }),
    );
  });

  it('agrees with virt-host-validate on hardware virtualization and /dev/kvm', async () => {
    const validate = await sh('virt-host-validate qemu', home.env);
    expect(validate.stderr, 'virt-host-validate is in the Debian package libvirt-clients').not.toMatch(
      /command not found/,
    );
    const verdict = (what: RegExp) =>
      validate.stdout
        .split('\n')
        .find((l) => what.test(l))
        ?.match(/:\s*(PASS|WARN|FAIL)/)?.[1];
    const checks = Object.fromEntries((await doctor()).checks.map((c) => [c.id, c.status]));
    const hardware = verdict(/Checking for hardware virtualization/);
    expect(hardware).toBeDefined();
    expect(checks['cpu-flags']).toBe(hardware === 'PASS' ? 'pass' : 'fail');
    // virt-host-validate looks at /dev/kvm only where the CPU has vmx or svm.
    const accessible = verdict(/Checking if device \/dev\/kvm is accessible/);
    if (accessible !== undefined) expect(checks['dev-kvm']).toBe(accessible === 'PASS' ? 'pass' : 'fail');
    // Without hardware virtualization, no KVM that virt-host-validate would fail is used.
    if (hardware === 'FAIL') expect(checks.kvm).not.toBe('pass');
  });

  it("boots the probe's guest on this QEMU under TCG: the boot sector really writes and exits", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-probe-'));
    try {
      const image = path.join(dir, 'boot.img');
      await writeProbeImage(image);
      const qemu = findQemu({ env: process.env }).path;
      const result = await bootProbe(qemu, 'tcg', image, 60_000, new AbortController().signal);
      expect(result).toMatchObject({ ok: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'warns a started guest that shows no sign of life, naming the likely cause',
    { timeout: 180_000 },
    async () => {
      const env = { ...home.env, TESSERA_SIGN_OF_LIFE_SECONDS: '3' };
      // No console on ttyS0 and no screen: nothing ever shows.
      const created = await runCli(
        [
          'vm',
          'create',
          'silent',
          '--memory',
          '128',
          '--kernel',
          guest.kernel,
          '--initrd',
          guest.initrd,
          '--append',
          'quiet',
          '--gpu',
          'none',
        ],
        env,
      );
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const serve = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'tessera.js'), 'serve'], {
        env,
        stdio: 'ignore',
      });
      children.push(serve);
      // The backend that watches the guest is this one, with its 3 s.
      await waitFor(async () => {
        const info = await runCli(['host', '--json'], env);
        return (
          info.code === 0 && (JSON.parse(info.stdout) as { backendPid: number }).backendPid === serve.pid
        );
      });
      // The wait that runs out says why the text probably never came.
      const waited = await runCli(
        ['vm', 'start', 'silent', '--wait-serial', 'NEVER', '--timeout', '10'],
        env,
      );
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(
        /did not appear on the serial console within 10 s\. No sign of life from the guest/,
      );
      let shown = '';
      await waitFor(async () => {
        shown = (await runCli(['vm', 'show', 'silent'], env)).stdout;
        return shown.includes('warning: No sign of life');
      });
      expect(shown).toMatch(
        /warning: No sign of life from the guest after 3 s \(no serial output, and it has no screen\): /,
      );
      const listed = await runCli(['vm', 'list'], env);
      expect(listed.stdout).toContain('warning: silent: No sign of life');
      await runCli(['vm', 'kill', 'silent'], env);
    },
  );
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}
