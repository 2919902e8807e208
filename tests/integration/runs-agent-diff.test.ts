// Validation runs beyond the serial console (issue 12): the same plan over the QEMU guest agent
// for real (Debian's qemu-ga in the tiny guest's initramfs), the diff of two runs on a simulated
// ADL-P VF whose scheduling changed in between (through the CLI, as a user would), and a
// backend killed mid-run leaving an `interrupted` record that the next backend finishes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunDiff, RunOutcome, RunSummary } from '../../src/shared/run-record';
import { STEP_OUTPUT_LIMIT_BYTES } from '../../src/shared/run-plan';
import { connectBackend } from '../support/memory-backend';
import { runCli } from '../support/cli-process';
import { killAtFirstStep } from '../support/run-records';
import { buildTinyGuest, tinyGuestCreateOptions, tinyVmInput, type TinyGuest } from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

const SAMPLE_PLAN = path.join(REPO_ROOT, 'resources', 'plans', 'gpu-guest-smoke.yaml');

/** Tiny guests under TCG on a shared 2-core machine: runs take seconds alone, minutes under load. */
const LOADED_MACHINE_TIMEOUT_MS = 300_000;
let home: TempHome;
let guest: TinyGuest;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-runs2-');
});
afterAll(() => home.cleanup());
afterEach(() => killVms(home.paths));

const STEPS = [
  { name: 'hello', exec: 'echo hello; echo to-stderr >&2', mustMatch: '^hello$', required: true },
  { name: 'exit-3', exec: 'exit 3', expectExit: 3 },
  { name: 'wrong-exit', exec: 'exit 4' },
  { name: 'forbidden', exec: 'echo GPU HANG', mustNotMatch: 'GPU HANG' },
  { name: 'hangs', exec: 'sleep 600', timeoutS: 3 },
  { name: 'after-timeout', exec: 'echo still here', mustMatch: 'still here' },
  { name: 'kernel', probe: 'uname' },
  { name: 'media', probe: 'vainfo' },
];

describe('the guest-agent transport', () => {
  it(
    'runs the same plan over qemu-ga, adding the channel the VM lacked, and cuts output at 4 MiB',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      const agentGuest = buildTinyGuest(`${TINY_GUEST_DIR}-agent`, { guestAgent: true });
      const { backend, client } = await connectBackend({ paths: home.paths });
      try {
        await client.call('vm.create', tinyVmInput(agentGuest, 'agent-guest', 192));
        const bytes = STEP_OUTPUT_LIMIT_BYTES + 300_000;
        const { id } = await client.call('run.start', {
          vm: 'agent-guest',
          plan: {
            source: 'agent.json',
            text: JSON.stringify({
              version: 1,
              transport: 'guest-agent',
              steps: [
                ...STEPS,
                { name: 'flood', exec: `head -c ${bytes} /dev/zero | tr '\\0' y`, timeoutS: 300 },
              ],
            }),
          },
          label: null,
        });
        const outcome = await client.call('run.wait', { id });
        expect(outcome).toEqual({
          id,
          status: 'failed',
          transport: 'guest-agent',
          steps: [
            { name: 'hello', status: 'passed', exitCode: 0 },
            { name: 'exit-3', status: 'passed', exitCode: 3 },
            { name: 'wrong-exit', status: 'failed', exitCode: 4 },
            { name: 'forbidden', status: 'failed', exitCode: 0 },
            { name: 'hangs', status: 'timeout', exitCode: null },
            { name: 'after-timeout', status: 'passed', exitCode: 0 },
            { name: 'kernel', status: 'passed', exitCode: 0 },
            { name: 'media', status: 'skipped', exitCode: 127 },
            { name: 'flood', status: 'passed', exitCode: 0 },
          ],
        });
        expect((await client.call('vm.get', { id: 'agent-guest' })).spec.guestAgent).toBe(true);
        const record = await client.call('run.get', { id });
        expect(record.transportNote).toMatch(/guest agent answered/);
        const dir = path.join(home.paths.dataDir, 'runs', id);
        expect(fs.readFileSync(path.join(dir, record.steps[0]?.stdout?.file ?? ''), 'utf8')).toBe('hello\n');
        expect(fs.readFileSync(path.join(dir, record.steps[0]?.stderr?.file ?? ''), 'utf8')).toBe(
          'to-stderr\n',
        );
        expect(record.steps[8]?.stdout).toMatchObject({ bytes: STEP_OUTPUT_LIMIT_BYTES, truncated: true });
        expect(record.host.start?.qemu.argv).toContain(
          'virtserialport,id=qgaport0,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0',
        );
      } finally {
        killVms(home.paths);
        await backend.close();
      }
    },
  );
});

async function cli<T>(args: string[]): Promise<T> {
  const result = await runCli(args, home.env);
  if (result.code !== 0 && !(args[1] === 'start' && result.code === 1))
    throw new Error(`tessera ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe('runs on a simulated ADL-P VF, through the CLI', () => {
  it(
    'the sample plan twice with one scheduling change in between: the diff names exactly that change',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      const sim = ['--simulate', 'adl-p'];
      expect((await runCli([...sim, 'gpu', 'vfs', '0000:00:02.0', '2'], home.env)).code).toBe(0);
      const created = await runCli(
        [
          ...sim,
          'vm',
          'create',
          'vf-guest',
          ...tinyGuestCreateOptions(guest, 128),
          '--gpu',
          'vf:0000:00:02.1',
        ],
        home.env,
      );
      expect(created.stderr).toBe('');
      const first = await cli<RunOutcome>([
        ...sim,
        'run',
        'start',
        'vf-guest',
        '--plan',
        SAMPLE_PLAN,
        '--json',
      ]);
      expect(first.transport).toBe('serial');
      expect(first.steps[0]).toEqual({ name: 'shell', status: 'passed', exitCode: 0 });
      const provision = await runCli(
        [...sim, 'gpu', 'provision', '0000:00:02.1', 'exec_quantum_ms=25'],
        home.env,
      );
      expect(provision.code).toBe(0);
      const second = await cli<RunOutcome>([
        ...sim,
        'run',
        'start',
        'vf-guest',
        '--plan',
        SAMPLE_PLAN,
        '--label',
        'longer quantum',
        '--json',
      ]);
      expect(second.steps.map((s) => s.status)).toEqual(first.steps.map((s) => s.status));
      const diff = await cli<RunDiff>([...sim, 'run', 'diff', first.id, second.id, '--json']);
      expect(diff.setup).toEqual([
        {
          category: 'provisioning',
          key: expect.stringMatching(/exec_quantum_ms$/),
          a: expect.any(String),
          b: '25',
        },
      ]);
      expect(diff.steps).toEqual([]);
      expect(diff.probes).toEqual([]);
      const text = await runCli([...sim, 'run', 'diff', first.id, second.id], home.env);
      expect(text.stdout).toMatch(/provisioning +\S*exec_quantum_ms: \d+ → 25\n$/);

      const record = await cli<{ host: { start: { host: { simulated: unknown }; lease: unknown } } }>([
        ...sim,
        'run',
        'show',
        second.id,
        '--json',
      ]);
      expect(record.host.start.host.simulated).toMatchObject({ name: expect.stringMatching(/^adl-p/) });
      expect(record.host.start.lease).toMatchObject({ kind: 'vf', device: '0000:00:02.1', simulated: true });
      const archive = path.join(home.root, 'runs.tar.gz');
      const exported = await runCli(
        [...sim, 'run', 'export', first.id, second.id, '--output', archive],
        home.env,
      );
      expect(exported.code).toBe(0);
      const listing = await new Promise<string>((resolve) => {
        const tar = spawn('tar', ['tzf', archive]);
        let out = '';
        tar.stdout.on('data', (d: Buffer) => (out += d.toString()));
        tar.on('close', () => resolve(out));
      });
      expect(listing).toContain(`${first.id}/run.json`);
      expect(listing).toContain(`${second.id}/junit.xml`);
      expect(listing).toContain(`${second.id}/steps/001.stdout`);
    },
  );

  it(
    'a backend killed mid-run leaves a record the next backend finishes as interrupted, stopping the VM',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      await runCli(['vm', 'create', 'victim', ...tinyGuestCreateOptions(guest, 128)], home.env);
      const planFile = path.join(home.root, 'slow.yaml');
      fs.writeFileSync(
        planFile,
        'version: 1\nsteps:\n  - {name: first, exec: "echo one"}\n  - {name: slow, exec: "sleep 600", timeoutS: 900}\n  - {name: last, probe: uname}\n',
      );
      // Killed once the first step is in the record.
      await killAtFirstStep(
        ['run', 'start', 'victim', '--plan', planFile],
        home.env,
        home.paths.dataDir,
        'victim',
      );
      const { runs } = await cli<{ runs: RunSummary[] }>(['run', 'list', '--json']);
      const run = runs.find((r) => r.vm === 'victim');
      expect(run).toMatchObject({ status: 'interrupted', passed: 1, skipped: 2 });
      const record = await cli<{ problem: string; steps: { name: string; status: string }[] }>([
        'run',
        'show',
        run?.id ?? '',
        '--json',
      ]);
      expect(record.problem).toMatch(/^the Tessera backend \(pid \d+\) ended during the run$/);
      expect(record.steps.map((s) => s.status)).toEqual(['passed', 'skipped', 'skipped']);
      const vm = await cli<{ state: string }>(['vm', 'show', 'victim', '--json']);
      expect(vm.state).toBe('stopped');
      const junit = fs.readFileSync(
        path.join(home.paths.dataDir, 'runs', run?.id ?? '', 'junit.xml'),
        'utf8',
      );
      expect(junit).toContain('name="tessera.status" value="interrupted"');
    },
  );
});
