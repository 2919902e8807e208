// VF guests really start on a simulated ADL-P host (issue 6, start and stop sequence): each run
// leases a VF through the helper, QEMU (TCG, the tiny guest) runs with a virtual GPU in its place,
// and every stop, failure or crash gives the VF back to the driver it came from.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { Backend } from '../../src/main/backend';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { connectBackend } from '../support/memory-backend';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

const ADLP = '0000:00:02.0';

let home: TempHome;
let guest: TinyGuest;
let root: string;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-leases-');
});
afterAll(() => home.cleanup());

const open: Backend[] = [];
afterEach(async () => {
  killVms(home.paths);
  for (const b of open.splice(0)) await b.close();
  fs.rmSync(home.paths.configDir, { recursive: true, force: true });
  fs.rmSync(home.paths.runtimeDir, { recursive: true, force: true });
});

async function backendOn(hostRoot: string): Promise<Client> {
  const { backend, client } = await connectBackend({ paths: home.paths, hostRoot });
  open.push(backend);
  return client;
}

/** Stops end asynchronously: the lease is given back before `vm.changed` says stopped. */
async function stopped(client: Client, id: string): Promise<void> {
  await client.call('vm.kill', { id });
  for (let i = 0; i < 200; i++) {
    const vm = await client.call('vm.get', { id });
    if (vm.state !== 'running' && vm.gpuLease === undefined && !fs.existsSync(leaseFile(id))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`VM ${id} did not give its GPU back`);
}

const leaseFile = (id: string) => path.join(home.paths.runtimeDir, id, 'gpu-lease.json');

/** A fresh simulated ADL-P with `vfCount` VFs enabled through the GPU service, and a backend on it. */
async function adlp(vfCount: number): Promise<Client> {
  root = fs.mkdtempSync(path.join(home.root, 'adl-p-'));
  buildHostTree(findSimulatedHost('adl-p'), root);
  const client = await backendOn(root);
  // On the host's driver, so giving a VF back shows (flex170 below starts from no driver).
  const preview = await client.call('gpu.plan', { kind: 'layout', pf: ADLP, vfCount, bind: 'host' });
  if (preview.plan) await client.call('gpu.apply', { plan: preview.plan, origin: 'cli' });
  return client;
}

const vfsOf = (inventory: GpuInventory) => inventory.gpus.find((g) => g.address === ADLP)?.vfs ?? [];
const drivers = async (client: Client) =>
  Object.fromEntries(vfsOf(await client.call('gpu.list', {})).map((v) => [v.address, v.driver]));
const usedBy = async (client: Client) =>
  Object.fromEntries(vfsOf(await client.call('gpu.list', {})).map((v) => [v.address, v.usedBy]));

const vfGuest = (name: string, vf?: string) => ({
  name,
  memoryMiB: 128,
  kernel: { path: guest.kernel, initrd: guest.initrd, append: guest.append },
  gpu: { kind: 'vf' as const, pf: ADLP, ...(vf ? { vf } : {}) },
  display: { kind: 'vnc' as const },
});

describe('VF guests on a simulated ADL-P', () => {
  it('four VMs with "any free VF" get four VFs, shown as used, all given back at stop', async () => {
    const client = await adlp(4);
    const before = await drivers(client);
    expect(Object.values(before)).toEqual(['i915', 'i915', 'i915', 'i915']);
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) await client.call('vm.create', vfGuest(name));
    const leased: string[] = [];
    for (const name of names) {
      const vm = await client.call('vm.start', { id: name });
      expect(vm.state).toBe('running');
      expect(vm.gpuLease).toMatchObject({ kind: 'vf', simulated: true });
      leased.push(vm.gpuLease?.device ?? '');
      // The real-hardware argv is what `vm args` shows; the spawned one has a virtual GPU instead.
      const log = fs.readFileSync(path.join(home.paths.runtimeDir, name, 'qemu.log'), 'utf8');
      expect(log).not.toContain('vfio-pci');
    }
    expect(new Set(leased).size).toBe(4);
    expect(await usedBy(client)).toEqual(Object.fromEntries(leased.map((vf, i) => [vf, names[i]])));
    expect(Object.values(await drivers(client))).toEqual(['vfio-pci', 'vfio-pci', 'vfio-pci', 'vfio-pci']);
    // Every VF is held: a fifth VM is told who holds them.
    await client.call('vm.create', vfGuest('e'));
    await expect(client.call('vm.start', { id: 'e' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/every VF of 0000:00:02.0 is in use \(by a, b, c, d\)/),
    });
    for (const name of names) await stopped(client, name);
    expect(await usedBy(client)).toEqual(Object.fromEntries(leased.map((vf) => [vf, null])));
    expect(await drivers(client)).toEqual(before);
  });

  it('two VMs wanting the same VF at once: one runs, the other gets CONFLICT, nothing leaks', async () => {
    const client = await adlp(2);
    const before = await drivers(client);
    const vf = '0000:00:02.2';
    await client.call('vm.create', vfGuest('x', vf));
    await client.call('vm.create', vfGuest('y', vf));
    const results = await Promise.allSettled([
      client.call('vm.start', { id: 'x' }),
      client.call('vm.start', { id: 'y' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/0000:00:02.2 is in use by VM '[xy]'/),
    });
    const winner = (await usedBy(client))[vf];
    expect(['x', 'y']).toContain(winner);
    // The GPU page cannot take a leased VF away from its VM either.
    await expect(client.call('gpu.plan', { kind: 'bind', device: vf, driver: 'host' })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
        message: `moving VF2: VF2 is used by ${winner}; stop those VMs first`,
      },
    );
    await stopped(client, winner ?? '');
    expect(await usedBy(client)).toEqual({ '0000:00:02.1': null, [vf]: null });
    expect(await drivers(client)).toEqual(before);
  });

  it('two backends starting "any free VF" guests at once get different VFs (the lock file)', async () => {
    const first = await adlp(2);
    const second = await backendOn(root);
    await first.call('vm.create', vfGuest('p'));
    await first.call('vm.create', vfGuest('q'));
    const [p, q] = await Promise.all([
      first.call('vm.start', { id: 'p' }),
      second.call('vm.start', { id: 'q' }),
    ]);
    expect([p.gpuLease?.device, q.gpuLease?.device].sort()).toEqual(['0000:00:02.1', '0000:00:02.2']);
    expect(await usedBy(second)).toEqual({
      [p.gpuLease?.device ?? '']: 'p',
      [q.gpuLease?.device ?? '']: 'q',
    });
  });

  it('the helper refusing (the VF’s group is held open) leaves nothing leased or bound', async () => {
    const client = await adlp(2);
    const before = await drivers(client);
    const vf = vfsOf(await client.call('gpu.list', {})).find((v) => v.address === '0000:00:02.2');
    // Another program holds the VF's group open (docs/sriov-sysfs.md#vfio-device-nodes): the simulated kernel sees it in proc/.
    fs.mkdirSync(path.join(root, 'proc/99/fd'), { recursive: true });
    fs.symlinkSync(`/dev/vfio/${vf?.iommuGroup}`, path.join(root, 'proc/99/fd/20'));
    await client.call('vm.create', vfGuest('held', '0000:00:02.2'));
    await expect(client.call('vm.start', { id: 'held' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/0000:00:02.2 is in use: process 99 holds \/dev\/vfio\/\d+ open/),
    });
    expect(fs.existsSync(leaseFile('held'))).toBe(false);
    expect(await usedBy(client)).toEqual({ '0000:00:02.1': null, '0000:00:02.2': null });
    expect(await drivers(client)).toEqual(before);
    await expect(client.call('vm.get', { id: 'held' })).resolves.toMatchObject({ state: 'stopped' });
  });

  it('QEMU failing to start gives the VF back', async () => {
    const client = await adlp(2);
    const before = await drivers(client);
    const disk = path.join(home.root, 'broken.qcow2');
    fs.writeFileSync(disk, 'not a qcow2 image');
    await client.call('vm.create', { ...vfGuest('broken', '0000:00:02.2'), disks: [{ path: disk }] });
    // QEMU refuses the image after the VF was leased.
    await expect(client.call('vm.start', { id: 'broken' })).rejects.toMatchObject({ code: 'QEMU_FAILED' });
    expect(await usedBy(client)).toEqual({ '0000:00:02.1': null, '0000:00:02.2': null });
    expect(await drivers(client)).toEqual(before);
  });

  it('a backend restarted while VMs run keeps their VFs held, and gives them back at stop', async () => {
    const client = await adlp(2);
    const before = await drivers(client);
    await client.call('vm.create', vfGuest('kept'));
    const { gpuLease } = await client.call('vm.start', { id: 'kept' });
    const first = open.pop();
    await first?.close();
    const again = await backendOn(root);
    expect((await usedBy(again))[gpuLease?.device ?? '']).toBe('kept');
    expect(await again.call('vm.get', { id: 'kept' })).toMatchObject({ state: 'running', gpuLease });
    await stopped(again, 'kept');
    expect(await drivers(again)).toEqual(before);
  });
});

/** Every function's driver and every vGPU: what a run must leave as it found it. */
const gpuState = async (client: Client) =>
  (await client.call('gpu.list', {})).gpus.map((g) => ({
    [g.address]: g.driver,
    ...Object.fromEntries(g.vfs.map((v) => [v.address, v.driver])),
    vgpus: g.mdevInstances.map((m) => m.uuid),
  }));

describe('the start and stop sequence on every simulated host with a GPU slice to give', () => {
  const cases = [
    { host: 'adl-p', gpu: { kind: 'vf', pf: ADLP }, held: '0000:00:02.1' },
    { host: 'flex170', gpu: { kind: 'vf', pf: '0000:4d:00.0' }, held: '0000:4d:00.1' },
    { host: 'bmg', gpu: { kind: 'vf', pf: '0000:03:00.0' }, held: '0000:03:00.1' },
    { host: 'cml', gpu: { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' }, held: null },
    { host: 'adl-p-maxvfs0', gpu: { kind: 'passthrough', device: ADLP }, held: ADLP },
  ] as const;
  it.each(cases)('$host: $gpu.kind', async ({ host, gpu, held }) => {
    root = fs.mkdtempSync(path.join(home.root, `${host}-`));
    buildHostTree(findSimulatedHost(host), root);
    const client = await backendOn(root);
    const before = await gpuState(client);
    const vm = await client.call('vm.create', { ...vfGuest('slice'), gpu });
    const started = await client.call('vm.start', { id: 'slice' });
    const device = held ?? vm.spec.uuid;
    expect(started.gpuLease).toEqual({ kind: gpu.kind, device, simulated: true });
    const during = await client.call('gpu.list', {});
    if (gpu.kind === 'mdev') {
      expect(during.gpus[0]?.mdevInstances).toContainEqual(
        expect.objectContaining({ uuid: device, usedBy: 'slice' }),
      );
    } else {
      const fn = during.gpus.flatMap((g) => [g, ...g.vfs]).find((f) => f.address === device);
      expect(fn?.driver).toBe('vfio-pci');
      if (gpu.kind === 'vf') expect(fn).toMatchObject({ usedBy: 'slice' });
    }
    await stopped(client, 'slice');
    expect(await gpuState(client)).toEqual(before);
  });
});
