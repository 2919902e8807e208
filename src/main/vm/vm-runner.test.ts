import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VmState } from '../../shared/vm-spec';
import { vmRuntimeFiles, type VmRuntimeFiles } from '../paths';
import { FakeQemu, type FakeRun } from '../../../tests/support/fake-qemu';
import { rejection } from '../../../tests/support/rejection';
import { VmRunner } from './vm-runner';

let dir: string;
let files: VmRuntimeFiles;
let qemu: FakeQemu;
let runners: VmRunner[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-runner-'));
  files = vmRuntimeFiles(dir, 'alpha');
  qemu = new FakeQemu();
  runners = [];
});
afterEach(() => {
  for (const r of runners) r.detach();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A runner whose states are recorded as they change. */
function runner(): { runner: VmRunner; states: VmState[] } {
  const r = new VmRunner('alpha', files, qemu);
  runners.push(r);
  const states: VmState[] = [r.state];
  r.on('change', () => states.push(r.state));
  return { runner: r, states };
}

/** As the argv names it (qemu-args.ts): the fake finds its QEMU by the QMP socket's path. */
const argv = () => ['-chardev', `socket,id=qmp,path=${files.qmp},server=on,wait=off`];

async function started(run: FakeRun = {}) {
  qemu.next(run);
  const made = runner();
  await made.runner.start('qemu-system-x86_64', argv());
  return made;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('VmRunner state machine (fake QEMU and QMP)', () => {
  it('start: starting, then running once QMP says so; the log names the argv', async () => {
    const { runner: r, states } = await started();
    expect(states).toEqual(['starting', 'running']);
    expect(r.pid).toBe(qemu.last.pid);
    expect(fs.readFileSync(files.log, 'utf8')).toContain(
      `tessera starts: qemu-system-x86_64 ${argv().join(' ')}`,
    );
  });

  it('ready only when QMP answers: a slow QMP keeps it starting', async () => {
    qemu.next({ holdQmp: true });
    const { runner: r, states } = runner();
    const start = r.start('qemu-system-x86_64', argv());
    await until('the spawn', () => qemu.processes.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.state).toBe('starting');
    qemu.last.openQmp();
    await start;
    expect(states).toEqual(['starting', 'running']);
  });

  it('a QEMU started paused is paused; cont and stop move it between running and paused', async () => {
    const { runner: r, states } = await started({ paused: true });
    expect(r.state).toBe('paused');
    await r.command('cont');
    await until('running', () => r.state === 'running');
    await r.command('stop');
    await until('paused', () => r.state === 'paused');
    expect(states).toEqual(['starting', 'paused', 'running', 'paused']);
  });

  it('guest shutdown: stopping, then stopped; clean and not asked for (what `always` restarts after)', async () => {
    const { runner: r, states } = await started();
    qemu.last.guestPowersOff();
    const end = await r.whenEnded();
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(end).toEqual({ clean: true, requested: false, message: 'QEMU exited with code 0', logTail: [] });
  });

  it('crash: crashed, with the log tail', async () => {
    const { runner: r, states } = await started();
    qemu.last.crash('SIGSEGV', 'qemu: fatal: Trying to execute code outside RAM');
    const end = await r.whenEnded();
    expect(states).toEqual(['starting', 'running', 'crashed']);
    expect(end.clean).toBe(false);
    expect(end.requested).toBe(false);
    expect(end.message).toBe('QEMU was killed by SIGSEGV unexpectedly');
    expect(end.logTail.at(-1)).toBe('qemu: fatal: Trying to execute code outside RAM');
  });

  it('stop: the ACPI power button, stopping, stopped, asked for', async () => {
    const { runner: r, states } = await started();
    const end = await r.stop(10_000);
    expect(qemu.last.qmp?.commands).toContain('system_powerdown');
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(end).toMatchObject({ clean: true, requested: true });
  });

  it('stop of a guest that ignores ACPI: forced off with quit after the timeout', async () => {
    const { runner: r, states } = await started({ ignoresAcpi: true });
    const end = await r.stop(50);
    expect(qemu.last.qmp?.commands).toEqual(['query-status', 'system_powerdown', 'quit']);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(end).toMatchObject({ clean: true, requested: true });
  });

  it('force off: quit ends QEMU at once', async () => {
    const { runner: r, states } = await started();
    const end = await r.kill();
    expect(qemu.last.qmp?.commands).toEqual(['query-status', 'quit']);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(end).toMatchObject({ clean: true, requested: true });
  });

  it('force off of a QEMU that no longer answers QMP: SIGKILL', async () => {
    const { runner: r, states } = await started({ wedged: true });
    const end = await r.kill();
    expect(end).toMatchObject({ clean: true, requested: true, message: 'QEMU was killed by SIGKILL' });
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });

  it('stop during start: QMP never came, so QEMU is killed; stopped, asked for', async () => {
    qemu.next({ holdQmp: true });
    const { runner: r, states } = runner();
    const start = r.start('qemu-system-x86_64', argv());
    await until('the spawn', () => qemu.processes.length === 1);
    const end = await r.stop(50);
    await start;
    expect(states).toEqual(['starting', 'stopping', 'stopped']);
    expect(end).toMatchObject({ clean: true, requested: true, message: 'QEMU was killed by SIGKILL' });
  });

  it('a QEMU that refuses to start: the start fails with its own last line, crashed', async () => {
    qemu.next({ refuses: "-drive file=gone.qcow2: Could not open 'gone.qcow2'" });
    const { runner: r, states } = runner();
    const error = await rejection(r.start('qemu-system-x86_64', argv()));
    expect(error.code).toBe('QEMU_FAILED');
    expect(error.message).toBe(
      "QEMU failed to start: qemu-system-x86_64: -drive file=gone.qcow2: Could not open 'gone.qcow2'",
    );
    expect(states).toEqual(['starting', 'crashed']);
  });

  it('a binary that cannot run: QEMU_FAILED naming it', async () => {
    qemu.next({ spawnError: 'spawn /nowhere/qemu ENOENT' });
    const { runner: r } = runner();
    const error = await rejection(r.start('/nowhere/qemu', argv()));
    expect(error.code).toBe('QEMU_FAILED');
    expect(error.message).toBe('could not run /nowhere/qemu: spawn /nowhere/qemu ENOENT');
    await until('crashed', () => r.state === 'crashed');
  });

  it('backend close: detach lets QEMU run on and hears nothing more', async () => {
    const { runner: r, states } = await started();
    r.detach();
    const process = qemu.last;
    expect(process.exited).toBe(false);
    process.guestPowersOff();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(states).toEqual(['starting', 'running']);
  });

  it('re-attach: a running QEMU is watched through QMP; its end is told from the process table', async () => {
    const earlier = qemu.running(files.qmp);
    const { runner: r, states } = runner();
    await r.attach(earlier.pid);
    expect(r.state).toBe('running');
    earlier.guestPowersOff();
    const end = await r.whenEnded();
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(end).toMatchObject({ clean: true, requested: false });
  });

  it('re-attach: a QEMU that dies without SHUTDOWN is a crash', async () => {
    const earlier = qemu.running(files.qmp);
    const { runner: r } = runner();
    await r.attach(earlier.pid);
    earlier.exit(null, 'SIGKILL');
    const end = await r.whenEnded();
    expect(r.state).toBe('crashed');
    expect(end).toMatchObject({ clean: false, requested: false, message: 'QEMU exited unexpectedly' });
  });
});
