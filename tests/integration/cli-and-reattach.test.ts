import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GUEST_READY_MARKER,
  buildTinyGuest,
  tinyGuestCreateOptions,
  type TinyGuest,
} from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import { freeTcpPort } from '../support/free-port';
import type { ChildProcess } from 'node:child_process';
import { isGone } from '../../src/main/vm/qemu-process';

let home: TempHome;
let guest: TinyGuest;
const children: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-node.mjs')], { cwd: REPO_ROOT });
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
});

afterAll(async () => {
  await Promise.all(children.map((c) => stopProcess(c, 'SIGKILL')));
  killVms(home.paths);
  home.cleanup();
});

// An orphaned QEMU that exited may linger as a zombie when PID 1 does not reap: gone all the same.
const isAlive = async (pid: number) => !(await isGone(pid));

describe('the CLI, one backend per user, and VMs that outlive it', () => {
  it('creates, lists and prints the argv without any backend running', async () => {
    const sshPort = await freeTcpPort();
    const created = await runCli(
      ['vm', 'create', 'cli', ...tinyGuestCreateOptions(guest, 256), '--forward', `${sshPort}:22`],
      home.env,
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });

    const dup = await runCli(['vm', 'create', 'cli'], home.env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe("tessera: a VM named 'cli' already exists\n");

    const bad = await runCli(['vm', 'create', 'x', '--memory', 'lots'], home.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tessera: --memory lots: expected a whole number\n$/);

    const list = await runCli(['vm', 'list', '--json'], home.env);
    const parsed = JSON.parse(list.stdout) as { vms: { id: string; name: string; state: string }[] };
    expect(parsed.vms).toEqual([expect.objectContaining({ id: 'cli', name: 'cli', state: 'stopped' })]);

    const args = await runCli(['vm', 'args', 'cli'], home.env);
    const argsJson = await runCli(['vm', 'args', 'cli', '--json'], home.env);
    expect(args.stdout.trimEnd().split('\n')).toEqual(JSON.parse(argsJson.stdout));
    expect(args.stdout).toContain(`hostfwd=tcp:127.0.0.1:${sshPort}-:22`);
  });

  it('routes through the running backend, and the VM survives that backend being killed', async () => {
    const serve = await startServe(home.env);
    children.push(serve.child);
    expect(fs.existsSync(path.join(home.paths.runtimeDir, '.control.sock'))).toBe(true);
    const host = JSON.parse((await runCli(['host', '--json'], home.env)).stdout) as { backendPid: number };
    expect(host.backendPid).toBe(serve.child.pid);

    const started = await runCli(
      ['vm', 'start', 'cli', '--wait-serial', GUEST_READY_MARKER, '--timeout', '60'],
      home.env,
    );
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const running = JSON.parse((await runCli(['vm', 'show', 'cli', '--json'], home.env)).stdout) as {
      pid: number;
      state: string;
    };
    expect(running.state).toBe('running');

    await stopProcess(serve.child, 'SIGKILL');
    expect(await isAlive(running.pid)).toBe(true);

    // No backend now: the CLI runs one in-process, which re-attaches to the running QEMU.
    const after = JSON.parse((await runCli(['vm', 'show', 'cli', '--json'], home.env)).stdout) as {
      pid: number;
      state: string;
    };
    expect(after).toMatchObject({ state: 'running', pid: running.pid });

    // A new backend takes over the stale control socket and the VM.
    const second = await startServe(home.env);
    children.push(second.child);
    const viaSecond = JSON.parse((await runCli(['host', '--json'], home.env)).stdout) as {
      backendPid: number;
    };
    expect(viaSecond.backendPid).toBe(second.child.pid);

    const echo = await runCli(['vm', 'serial', 'cli'], home.env, 'echo "he""llo from serial"\n');
    expect(echo.code).toBe(0);
    expect(echo.stdout).toContain('hello from serial');

    const shot = path.join(home.root, 'shot.png');
    expect((await runCli(['vm', 'screenshot', 'cli', shot], home.env)).code).toBe(0);
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');

    const again = await runCli(['vm', 'start', 'cli'], home.env);
    expect(again).toMatchObject({ code: 1, stderr: "tessera: VM 'cli' is already running\n" });

    const stopped = await runCli(['vm', 'stop', 'cli', '--timeout', '20'], home.env);
    expect(stopped).toMatchObject({ code: 0, stdout: "VM 'cli' is stopped\n" });
    expect(await isAlive(running.pid)).toBe(false);
    await stopProcess(second.child);
    expect(fs.existsSync(path.join(home.paths.runtimeDir, '.control.sock'))).toBe(false);
  });
});
