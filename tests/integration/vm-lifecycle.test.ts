import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { Backend } from '../../src/main/backend';
import { connectBackend } from '../support/memory-backend';
import type { VmInfo } from '../../src/shared/vm-spec';
import { GUEST_READY_MARKER, buildTinyGuest, type TinyGuest, tinyVmInput } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { GUEST_WAIT_MS, GUEST_WAIT_S } from '../support/patience';

let home: TempHome;
let backend: Backend;
let client: Client;
let guest: TinyGuest;

async function waitForState(id: string, state: VmInfo['state'], timeoutMs = GUEST_WAIT_MS): Promise<VmInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const vm = await client.call('vm.get', { id });
    if (vm.state === state) return vm;
    if (Date.now() > deadline) throw new Error(`VM ${id} stayed ${vm.state}, expected ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
  ({ backend, client } = await connectBackend({ paths: home.paths }));
});

afterAll(async () => {
  killVms(home.paths);
  await backend.close();
  home.cleanup();
});

const tiny = (name: string, extra: Record<string, unknown> = {}) => tinyVmInput(guest, name, 256, extra);

describe('a VM from definition to power-off, on real QEMU', () => {
  it('boots the tiny guest, reports states from QMP, and powers off over ACPI', async () => {
    const seen: string[] = [];
    client.on('vm.changed', ({ vm }) => {
      if (vm.id === 'life') seen.push(vm.state);
    });
    await client.call('vm.create', tiny('life'));
    const started = await client.call('vm.start', { id: 'life' });
    expect(started.state).toBe('running');
    expect(started.pid).toBeGreaterThan(1);
    await client.call('vm.waitSerial', {
      id: 'life',
      text: GUEST_READY_MARKER,
      timeoutSeconds: GUEST_WAIT_S,
    });

    const shot = await client.call('vm.screenshot', { id: 'life' });
    expect(shot.width).toBeGreaterThan(0);
    expect(Buffer.from(shot.pngBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');

    expect((await client.call('vm.pause', { id: 'life' })).state).toBe('paused');
    expect((await client.call('vm.resume', { id: 'life' })).state).toBe('running');

    await expect(client.call('vm.start', { id: 'life' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: "VM 'life' is already running",
    });

    const stopped = await client.call('vm.stop', { id: 'life', timeoutSeconds: 20 });
    expect(stopped.state).toBe('stopped');
    expect(stopped.lastError).toBeUndefined();
    expect(seen).toEqual(expect.arrayContaining(['starting', 'running', 'paused', 'stopping', 'stopped']));
    // The serial log of the run is kept for a later look.
    const serial = fs.readFileSync(path.join(home.paths.runtimeDir, 'life', 'serial.log'), 'utf8');
    expect(serial).toContain(GUEST_READY_MARKER);
  });

  it(
    'reset reboots the guest: the marker appears a second time',
    { timeout: 3 * GUEST_WAIT_MS },
    async () => {
      await client.call('vm.create', tiny('resetme'));
      await client.call('vm.start', { id: 'resetme' });
      await client.call('vm.waitSerial', {
        id: 'resetme',
        text: GUEST_READY_MARKER,
        timeoutSeconds: GUEST_WAIT_S,
      });
      const log = path.join(home.paths.runtimeDir, 'resetme', 'serial.log');
      const before = fs.readFileSync(log, 'utf8').split(GUEST_READY_MARKER).length;
      await client.call('vm.reset', { id: 'resetme' });
      const deadline = Date.now() + GUEST_WAIT_MS;
      while (
        fs.readFileSync(log, 'utf8').split(GUEST_READY_MARKER).length === before &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(fs.readFileSync(log, 'utf8').split(GUEST_READY_MARKER).length).toBe(before + 1);
      expect((await client.call('vm.kill', { id: 'resetme' })).state).toBe('stopped');
    },
  );

  it('a QEMU killed from outside is a crash that shows the log tail', async () => {
    await client.call('vm.create', tiny('victim'));
    const vm = await client.call('vm.start', { id: 'victim' });
    process.kill(vm.pid as number, 'SIGKILL');
    const crashed = await waitForState('victim', 'crashed');
    expect(crashed.lastError?.message).toMatch(/SIGKILL/);
    expect(crashed.lastError?.logTail.join('\n')).toContain('tessera starts:');
  });

  it('restart policy on-crash brings a killed VM back', async () => {
    await client.call('vm.create', tiny('phoenix', { restartPolicy: 'on-crash' }));
    const first = await client.call('vm.start', { id: 'phoenix' });
    process.kill(first.pid as number, 'SIGKILL');
    await waitForState('phoenix', 'crashed');
    const again = await waitForState('phoenix', 'running', 20_000);
    expect(again.pid).not.toBe(first.pid);
    expect(again.restarts).toBe(1);
    await client.call('vm.kill', { id: 'phoenix' });
    expect((await client.call('vm.get', { id: 'phoenix' })).state).toBe('stopped');
  });

  it('a guest that ignores ACPI is forced off after the timeout', async () => {
    // Without the initrd's acpid the power button does nothing.
    await client.call(
      'vm.create',
      tiny('stubborn', {
        kernel: { path: guest.kernel, initrd: guest.initrd, append: `${guest.append} init=/bin/sh` },
      }),
    );
    await client.call('vm.start', { id: 'stubborn' });
    const stopped = await client.call('vm.stop', { id: 'stubborn', timeoutSeconds: 1 });
    expect(stopped.state).toBe('stopped');
  });

  it('a start that QEMU refuses names the reason and leaves the VM stopped', async () => {
    const disk = path.join(home.root, 'not-a-qcow2.img');
    fs.writeFileSync(disk, 'this is not a disk image');
    await client.call('vm.create', tiny('broken', { disks: [{ path: disk, format: 'qcow2' }] }));
    await expect(client.call('vm.start', { id: 'broken' })).rejects.toMatchObject({
      code: 'QEMU_FAILED',
      message: expect.stringMatching(/QEMU failed to start: .*qcow2/i),
    });
    const vm = await client.call('vm.get', { id: 'broken' });
    expect(vm.state).toBe('stopped');
    expect(vm.lastError?.logTail.length).toBeGreaterThan(0);
  });
});
