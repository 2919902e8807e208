import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import { VmCreateInput, type VmInfo } from '../../shared/vm-spec';
import { DomainEventBus } from '../events';
import type { TesseraPaths } from '../paths';
import DEBIAN_12 from '../host/debian-12-qemu-capabilities.json';
import { FakeQemu } from '../../../tests/support/fake-qemu';
import { rejection } from '../../../tests/support/rejection';
import type { GpuAttachment } from './gpu-attachment';
import type { VmUsb } from './usb-attachments';
import { VmService, type VmHost } from './vm-service';
import { VmStore } from './vm-store';

let home: string;
let qemu: FakeQemu;
let events: DomainEventBus;
let service: VmService;
let seen: VmInfo[];
let gpuHeld: Set<string>;

const capabilities = { ...DEBIAN_12, binary: '/usr/bin/qemu-system-x86_64' } as QemuCapabilities;

/** This machine as the service asks about it: TCG, no GPU, no OVMF, no swtpm. */
const host: VmHost = {
  accelerator: async () => ({ accelerator: 'tcg', reason: 'a test host' }),
  qemuBinary: () => '/usr/bin/qemu-system-x86_64',
  ovmf: () => null,
  qemuCapabilities: async () => capabilities,
  swtpm: () => null,
  vmFacts: async () => ({
    inventory: { host: { root: '/', simulated: null }, gpus: [], otherDisplays: [], unreadable: [] },
    connectors: [],
    hugepages: null,
    hostCpus: 2,
    swtpm: null,
    capabilities,
  }),
};

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-vm-service-'));
  const paths: TesseraPaths = {
    configDir: path.join(home, 'config'),
    runtimeDir: path.join(home, 'run'),
    dataDir: path.join(home, 'data'),
    cacheDir: path.join(home, 'cache'),
  };
  fs.mkdirSync(paths.runtimeDir, { mode: 0o700 });
  qemu = new FakeQemu();
  events = new DomainEventBus();
  seen = [];
  events.on('vm.changed', ({ vm }) => seen.push(vm));
  gpuHeld = new Set();
  const gpu: GpuAttachment = {
    attach: async (spec) => {
      gpuHeld.add(spec.name);
      return { kind: 'std' };
    },
    detach: async (spec) => void gpuHeld.delete(spec.name),
    preview: () => ({ kind: 'std' }),
    held: () => null,
  };
  const usb: VmUsb = { devices: () => [], grant: async () => [], release: async () => undefined };
  service = new VmService(new VmStore(paths.configDir), paths, host, events, gpu, usb, {
    qemu,
    signOfLifeMs: 600_000,
  });
});

afterEach(async () => {
  await service.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A definition as the dispatcher hands it over: parsed, defaults filled in. */
async function define(input: Partial<VmCreateInput> = {}): Promise<void> {
  await service.create({
    ...VmCreateInput.parse({ name: 'alpha', display: { kind: 'none' }, ...input }),
    name: 'alpha',
  });
}

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const state = async () => (await service.get('alpha')).state;

describe('VmService supervisor (fake QEMU)', () => {
  it('start: running, with its pid and accelerator, and the GPU held; told on the bus', async () => {
    await define();
    const vm = await service.start('alpha');
    expect(vm).toMatchObject({ state: 'running', pid: qemu.last.pid, restarts: 0 });
    expect(vm.accelerator).toEqual({ accelerator: 'tcg', reason: 'a test host' });
    expect(gpuHeld.has('alpha')).toBe(true);
    expect(service.runningSpecIds()).toEqual(['alpha']);
    // Each change is told once its definition is read back: the last one told says running.
    await until('running told', () => seen.at(-1)?.state === 'running');
    expect(seen.map((v) => v.state)).toContain('starting');
    expect((await rejection(service.start('alpha'))).message).toBe("VM 'alpha' is already running");
    expect((await rejection(service.delete('alpha'))).code).toBe('INVALID_STATE');
  });

  it('guest shutdown: stopped, the GPU given back, not restarted under on-crash', async () => {
    await define({ restartPolicy: 'on-crash' });
    await service.start('alpha');
    qemu.last.guestPowersOff();
    await until('stopped', async () => (await state()) === 'stopped' && !gpuHeld.has('alpha'));
    const vm = await service.get('alpha');
    expect(vm.restartAt).toBeUndefined();
    expect(vm.lastError).toBeUndefined();
    expect(service.runningSpecIds()).toEqual([]);
  });

  it('guest shutdown under always: restarted after the back-off', async () => {
    await define({ restartPolicy: 'always' });
    await service.start('alpha');
    const first = qemu.last;
    first.guestPowersOff();
    await until('a pending restart', async () => (await service.get('alpha')).restartAt !== undefined);
    await until('the restart', async () => qemu.last !== first && (await state()) === 'running');
    expect((await service.get('alpha')).restarts).toBe(1);
  });

  it('crash: crashed with the log tail; never policy leaves it there', async () => {
    await define();
    await service.start('alpha');
    qemu.last.crash('SIGSEGV', 'qemu: fatal: bad things');
    await until('crashed', async () => (await state()) === 'crashed');
    const vm = await service.get('alpha');
    expect(vm.lastError?.message).toBe('QEMU was killed by SIGSEGV unexpectedly');
    expect(vm.lastError?.logTail.at(-1)).toBe('qemu: fatal: bad things');
    expect(vm.restartAt).toBeUndefined();
  });

  it('crash under on-crash: restarted after 1 s, the count kept; a stop by hand is not restarted', async () => {
    await define({ restartPolicy: 'on-crash' });
    await service.start('alpha');
    const first = qemu.last;
    const crashedAt = Date.now();
    first.crash();
    await until('a pending restart', async () => (await service.get('alpha')).restartAt !== undefined);
    const pending = await service.get('alpha');
    expect(pending.state).toBe('crashed');
    const delay = Date.parse(pending.restartAt ?? '') - crashedAt;
    expect(delay).toBeGreaterThanOrEqual(900);
    expect(delay).toBeLessThan(1000 + 10_000);
    await until('the restart', async () => qemu.last !== first && (await state()) === 'running');
    const again = await service.get('alpha');
    expect(again).toMatchObject({ state: 'running', restarts: 1 });
    expect(again.restartAt).toBeUndefined();
    const stopped = await service.stop('alpha', 10);
    expect(stopped.state).toBe('stopped');
    expect(stopped.restartAt).toBeUndefined();
  });

  it('give-up: the kiosk limit reached, no restart until started by hand, which counts afresh', async () => {
    await define();
    service.setKioskRun('alpha', { giveUp: { crashes: 2, windowMinutes: 10 } });
    await service.start('alpha');
    qemu.last.crash();
    const first = qemu.last;
    await until('the restart', async () => qemu.last !== first && (await state()) === 'running');
    qemu.last.crash();
    await until('given up', async () => (await service.get('alpha')).gaveUp === true);
    const vm = await service.get('alpha');
    expect(vm.state).toBe('crashed');
    expect(vm.restartAt).toBeUndefined();
    expect(vm.lastError?.message).toBe(
      'gave up after 2 ends within 10 min (last: QEMU was killed by SIGSEGV unexpectedly); start it again by hand',
    );
    const started = await service.start('alpha');
    expect(started.state).toBe('running');
    expect(started.gaveUp).toBeUndefined();
  });

  it('a start QEMU refuses: stopped, the reason kept, the GPU given back', async () => {
    await define();
    qemu.next({ refuses: "Could not open 'gone.qcow2'" });
    const error = await rejection(service.start('alpha'));
    expect(error.message).toBe("QEMU failed to start: qemu-system-x86_64: Could not open 'gone.qcow2'");
    const vm = await service.get('alpha');
    expect(vm.state).toBe('stopped');
    expect(vm.lastError?.message).toBe(error.message);
    expect(gpuHeld.has('alpha')).toBe(false);
  });

  it('stop during start: the start gives up, the VM ends stopped and is not restarted', async () => {
    await define({ restartPolicy: 'always' });
    qemu.next({ holdQmp: true });
    const start = service.start('alpha');
    await until('starting', async () => (await state()) === 'starting' && qemu.processes.length === 1);
    const stopped = await service.stop('alpha', 0);
    await start.catch(() => undefined);
    expect(stopped.state).toBe('stopped');
    expect(stopped.restartAt).toBeUndefined();
    expect(gpuHeld.has('alpha')).toBe(false);
  });

  it('force off: stopped at once and not restarted, even under always', async () => {
    await define({ restartPolicy: 'always' });
    await service.start('alpha');
    const vm = await service.kill('alpha');
    expect(vm.state).toBe('stopped');
    expect(vm.restartAt).toBeUndefined();
    expect(qemu.last.qmp?.commands).toContain('quit');
    expect((await rejection(service.kill('alpha'))).message).toBe("VM 'alpha' is not running");
  });

  it('pause and resume follow QMP', async () => {
    await define();
    await service.start('alpha');
    await service.pause('alpha');
    await until('paused', async () => (await state()) === 'paused');
    await service.resume('alpha');
    await until('running', async () => (await state()) === 'running');
  });

  it('backend close: QEMU keeps running, and its end after the close is neither told nor restarted', async () => {
    await define({ restartPolicy: 'on-crash' });
    await service.start('alpha');
    const running = qemu.last;
    await service.close();
    expect(running.exited).toBe(false);
    running.crash();
    // Longer than the first back-off (1 s): a restart the closed service still ran would show.
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.some((v) => v.state === 'crashed')).toBe(false);
    expect(qemu.processes).toHaveLength(1);
  });

  it('backend close calls off a pending restart', async () => {
    await define({ restartPolicy: 'on-crash' });
    await service.start('alpha');
    qemu.last.crash();
    await until('a pending restart', async () => (await service.get('alpha')).restartAt !== undefined);
    await service.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(qemu.processes).toHaveLength(1);
  });
});
