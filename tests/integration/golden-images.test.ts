// Golden images and booth resets (issue 11) with real qemu-img, real QEMU (TCG) and the tiny
// guest on a virtio disk: a marker written from the serial shell is gone after a reset and
// kept after a promote; a warm reset brings back the state of the ready snapshot; a VF guest
// on a simulated host is reset cold with the reason; the idle schedule waits while input
// arrives and fires once it stops. The golden image's SHA-256 is checked around every step.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/main/backend';
import type { Client } from '../../src/shared/client';
import type { GoldenStatus } from '../../src/shared/images';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { connectBackend } from '../support/memory-backend';
import { makeGoldenSource, sha256 } from '../support/golden-source';
import { openSerialShell, type SerialShell } from '../support/serial-shell';
import {
  GUEST_DISK_MOUNT,
  GUEST_READY_MARKER,
  buildTinyGuest,
  tinyVmInput,
  type TinyGuest,
} from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
let guest: TinyGuest;
let source: string;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR, { virtioDisk: true });
  home = makeTempHome('tessera-golden-');
  source = makeGoldenSource(home.root, 32);
});
afterAll(() => home.cleanup());

const open: Backend[] = [];
const shells: SerialShell[] = [];
afterEach(async () => {
  for (const s of shells.splice(0)) s.close();
  killVms(home.paths);
  for (const b of open.splice(0)) await b.close();
  for (const dir of [home.paths.configDir, home.paths.runtimeDir, home.paths.dataDir]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function backend(
  extra: Parameters<typeof connectBackend>[0] = {},
): Promise<{ backend: Backend; client: Client }> {
  const made = await connectBackend({ paths: home.paths, ...extra });
  open.push(made.backend);
  return made;
}

async function shellOf(b: Backend, client: Client, id: string): Promise<SerialShell> {
  await client.call('vm.waitSerial', { id, text: GUEST_READY_MARKER, timeoutSeconds: 120 });
  const shell = await openSerialShell(b, client, id);
  shells.push(shell);
  return shell;
}

const hasFile = async (shell: SerialShell, file: string) =>
  (await shell.run(`test -e ${file} && echo M-$((40+2)) || echo M-$((50+5))`)).includes('M-42');

async function status(client: Client, id: string): Promise<GoldenStatus> {
  const found = (await client.call('booth.status', {})).vms.find((s) => s.id === id);
  if (!found) throw new Error(`${id} is not on a golden image`);
  return found;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('golden images', { timeout: 300_000 }, () => {
  it('a marker written in the guest is gone after a reset; after a promote it stays; the golden never changes', async () => {
    const { backend: b, client } = await backend();
    const added = await client.call('image.add', { path: source, name: 'booth' });
    const v1 = added.versions[0];
    if (!v1) throw new Error('no version');
    const golden = sha256(v1.path);
    expect(golden).toBe(v1.sha256);
    expect(golden).toBe(sha256(source));
    expect(fs.statSync(v1.path).mode & 0o777).toBe(0o444);

    await client.call('vm.create', tinyVmInput(guest, 'kiosk', 128));
    const bound = await client.call('vm.golden', { id: 'kiosk', image: 'booth' });
    expect(bound.status).toMatchObject({ image: 'booth', version: 1, warm: { blocker: null } });
    const vm = await client.call('vm.get', { id: 'kiosk' });
    expect(vm.spec.disks[0]).toMatchObject({ format: 'qcow2', backing: { path: v1.path, format: 'qcow2' } });
    expect(vm.spec.disks[0]?.path.startsWith(path.join(home.paths.dataDir, 'overlays', 'kiosk'))).toBe(true);
    const argv = (await client.call('vm.args', { id: 'kiosk' })).argv.join(' ');
    expect(argv).toContain('backing.read-only=on');

    await client.call('vm.start', { id: 'kiosk' });
    let shell = await shellOf(b, client, 'kiosk');
    await shell.run(`echo visitor > ${GUEST_DISK_MOUNT}/marker; sync`);
    expect(await hasFile(shell, `${GUEST_DISK_MOUNT}/marker`)).toBe(true);

    const outcome = await client.call('vm.resetToGolden', { id: 'kiosk', mode: 'cold' });
    expect(outcome).toMatchObject({ mode: 'cold', restarted: true });
    expect(sha256(v1.path)).toBe(golden);
    shell = await shellOf(b, client, 'kiosk');
    expect(await hasFile(shell, `${GUEST_DISK_MOUNT}/marker`)).toBe(false);

    // Promote: the visitor's change becomes v2; v1 stays as it was.
    await shell.run(`echo keep > ${GUEST_DISK_MOUNT}/marker; sync`);
    await expect(client.call('vm.promote', { id: 'kiosk' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await client.call('vm.stop', { id: 'kiosk', timeoutSeconds: 30 });
    const promoted = await client.call('vm.promote', { id: 'kiosk' });
    expect(promoted.version).toBe(2);
    expect(promoted.image.current).toBe(2);
    const v2 = promoted.image.versions.find((v) => v.version === 2);
    expect(v2 && sha256(v2.path)).toBe(v2?.sha256);
    expect(v2 && fs.statSync(v2.path).mode & 0o777).toBe(0o444);
    expect(sha256(v1.path)).toBe(golden);
    // Still on v1 until the next reset.
    expect((await status(client, 'kiosk')).version).toBe(1);
    const stoppedReset = await client.call('vm.resetToGolden', { id: 'kiosk' });
    expect(stoppedReset).toMatchObject({ mode: 'cold', restarted: false });
    expect((await status(client, 'kiosk')).version).toBe(2);
    await client.call('vm.start', { id: 'kiosk' });
    shell = await shellOf(b, client, 'kiosk');
    expect(await hasFile(shell, `${GUEST_DISK_MOUNT}/marker`)).toBe(true);
    expect(sha256(v1.path)).toBe(golden);

    // v1 is no longer used and can go; v2 is in use and cannot.
    const listed = (await client.call('image.list', {})).images[0];
    expect(listed?.usedBy).toEqual([{ id: 'kiosk', version: 2 }]);
    await expect(client.call('image.delete', { name: 'booth', version: 2 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await client.call('image.delete', { name: 'booth', version: 1 });
    expect(fs.existsSync(v1.path)).toBe(false);
  });

  it('warm reset loads the ready snapshot: what was there before it is back, what came after is gone', async () => {
    const { backend: b, client } = await backend();
    const image = await client.call('image.add', { path: source, name: 'warm' });
    const golden = image.versions[0]?.sha256;
    // Serial only: QEMU 7.2's VNC clipboard agent (qemu-vdagent) would block snapshots.
    await client.call(
      'vm.create',
      tinyVmInput(guest, 'w', 128, { gpu: { kind: 'none' }, display: { kind: 'none' } }),
    );
    await client.call('vm.golden', { id: 'w', image: 'warm' });
    await client.call('vm.start', { id: 'w' });
    let shell = await shellOf(b, client, 'w');
    await shell.run('echo before > /tmp/state');
    const marked = await client.call('vm.markReady', { id: 'w' });
    expect(marked.warm.snapshotAt).not.toBeNull();
    await shell.run(`echo after > /tmp/after; echo after > ${GUEST_DISK_MOUNT}/after; sync`);

    const outcome = await client.call('vm.resetToGolden', { id: 'w' });
    expect(outcome).toMatchObject({ mode: 'warm', restarted: false });
    shells.splice(shells.indexOf(shell), 1);
    shell.close();
    shell = await openSerialShell(b, client, 'w');
    shells.push(shell);
    expect(await hasFile(shell, '/tmp/state')).toBe(true);
    expect(await hasFile(shell, '/tmp/after')).toBe(false);
    expect(await hasFile(shell, `${GUEST_DISK_MOUNT}/after`)).toBe(false);
    expect(sha256(image.versions[0]?.path ?? '')).toBe(golden);

    // A cold reset drops the snapshot with the overlay; the ready text takes a new one by itself.
    await client.call('vm.kill', { id: 'w' });
    await client.call('vm.golden', { id: 'w', image: 'warm', readyText: GUEST_READY_MARKER });
    await client.call('vm.start', { id: 'w' });
    const snap = await until(
      'the ready snapshot',
      async () => (await status(client, 'w')).warm.snapshotAt ?? undefined,
    );
    expect(snap).toBeTruthy();
    expect(sha256(image.versions[0]?.path ?? '')).toBe(golden);
  });

  it('a VF guest on a simulated host is refused a warm reset with the reason and reset cold', async () => {
    const root = fs.mkdtempSync(path.join(home.root, 'adl-p-'));
    buildHostTree(findSimulatedHost('adl-p'), root);
    const { backend: b, client } = await backend({ hostRoot: root });
    const preview = await client.call('gpu.plan', {
      kind: 'layout',
      pf: '0000:00:02.0',
      vfCount: 2,
      bind: 'host',
    });
    if (preview.plan) await client.call('gpu.apply', { plan: preview.plan, origin: 'cli' });
    const image = await client.call('image.add', { path: source, name: 'vf' });
    await client.call(
      'vm.create',
      tinyVmInput(guest, 'vfguest', 128, {
        gpu: { kind: 'vf', pf: '0000:00:02.0' },
        display: { kind: 'vnc' },
      }),
    );
    const { status: bound } = await client.call('vm.golden', { id: 'vfguest', image: 'vf' });
    expect(bound?.warm.blocker).toMatch(/SR-IOV VF/);
    await client.call('vm.start', { id: 'vfguest' });
    await shellOf(b, client, 'vfguest');
    await expect(client.call('vm.markReady', { id: 'vfguest' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/SR-IOV VF \(vfio-pci\), which blocks migration/),
    });
    const outcome = await client.call('vm.resetToGolden', { id: 'vfguest', mode: 'warm' });
    expect(outcome.mode).toBe('cold');
    expect(outcome.reason).toMatch(/warm reset refused: its GPU is an SR-IOV VF/);
    expect(outcome.restarted).toBe(true);
    const vm = await client.call('vm.get', { id: 'vfguest' });
    expect(vm.gpuLease).toMatchObject({ kind: 'vf', simulated: true });
    expect(sha256(image.versions[0]?.path ?? '')).toBe(image.versions[0]?.sha256);
  });

  it('idle reset waits while console input arrives and fires once it stops', async () => {
    const { backend: b, client } = await backend();
    await client.call('image.add', { path: source, name: 'idle' });
    await client.call('vm.create', tinyVmInput(guest, 'idler', 128));
    await client.call('vm.golden', { id: 'idler', image: 'idle' });
    const scheduled = await client.call('vm.resetSchedule', { id: 'idler', schedule: 'idle:6s' });
    expect(scheduled.schedule).toEqual({ kind: 'idle', seconds: 6 });
    await client.call('vm.start', { id: 'idler' });
    const shell = await shellOf(b, client, 'idler');
    await shell.run(`echo visitor > ${GUEST_DISK_MOUNT}/marker; sync`);
    // Input every second for twice the idle time: no reset.
    const typingUntil = Date.now() + 12_000;
    while (Date.now() < typingUntil) {
      shell.type(' ');
      await new Promise((r) => setTimeout(r, 1000));
      expect((await status(client, 'idler')).lastReset).toBeNull();
    }
    const armed = await status(client, 'idler');
    expect(armed.lastInputAt).not.toBeNull();
    expect(armed.nextResetAt).not.toBeNull();
    // The visitor leaves.
    const reset = await until(
      'the idle reset',
      async () => (await status(client, 'idler')).lastReset ?? undefined,
    );
    expect(reset.reason).toMatch(/no console input/);
    // Nobody came back: no further resets while it is clean.
    expect((await status(client, 'idler')).nextResetAt).toBeNull();
    const fresh = await shellOf(b, client, 'idler');
    expect(await hasFile(fresh, `${GUEST_DISK_MOUNT}/marker`)).toBe(false);
  });

  it('refuses to start on a golden image that changed; a fresh-every-boot VM never reuses a leftover overlay', async () => {
    let { backend: b, client } = await backend();
    const image = await client.call('image.add', { path: source, name: 'safe' });
    const file = image.versions[0]?.path ?? '';
    await client.call('vm.create', tinyVmInput(guest, 'fresh', 128));
    await client.call('vm.golden', { id: 'fresh', image: 'safe' });
    await client.call('vm.resetSchedule', { id: 'fresh', schedule: 'on-stop' });
    await client.call('vm.start', { id: 'fresh' });
    const shell = await shellOf(b, client, 'fresh');
    await shell.run(`echo visitor > ${GUEST_DISK_MOUNT}/marker; sync`);
    // The host dies: QEMU is gone while no backend watched.
    shells.splice(0).forEach((s) => s.close());
    await b.close();
    open.splice(open.indexOf(b), 1);
    killVms(home.paths);
    ({ backend: b, client } = await backend());
    await client.call('vm.start', { id: 'fresh' });
    const again = await shellOf(b, client, 'fresh');
    expect(await hasFile(again, `${GUEST_DISK_MOUNT}/marker`)).toBe(false);
    expect((await status(client, 'fresh')).lastReset?.reason).toMatch(/left over/);
    // A clean stop resets at once (fresh every boot).
    await client.call('vm.stop', { id: 'fresh', timeoutSeconds: 30 });
    await until('the on-stop reset', async () => {
      const s = await status(client, 'fresh');
      return s.lastReset?.reason.includes('on-stop') && s.busy === null ? s : undefined;
    });

    // Someone writes the golden image behind Tessera's back: starts are refused with the reason.
    fs.chmodSync(file, 0o644);
    fs.appendFileSync(file, Buffer.alloc(512, 1));
    await expect(client.call('vm.start', { id: 'fresh' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/golden image file .* changed/),
    });
    const verified = await client.call('image.verify', { name: 'safe' });
    expect(verified.ok).toBe(false);
  });
});
