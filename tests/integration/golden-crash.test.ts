// A golden image survives a backend killed with SIGKILL at every step of a reset and half-way
// through a promote (issue 11, "Safety"): the `tessera` CLI runs the operation in its own
// backend and kills itself at the step named by TESSERA_FAULT_KILL_AT (images-service.ts).
// Afterwards a new backend finds the golden image's SHA-256 unchanged, no partial image
// registered or left, and a VM that boots.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/main/backend';
import type { Client } from '../../src/shared/client';
import { runCli } from '../support/cli-process';
import { connectBackend } from '../support/memory-backend';
import { GUEST_READY_MARKER, buildTinyGuest, tinyVmInput, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { makeGoldenSource, sha256 } from '../support/golden-source';

let home: TempHome;
let guest: TinyGuest;
let source: string;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR, { virtioDisk: true });
  home = makeTempHome('tessera-golden-crash-');
  // Random data under the file system, so qemu-img convert takes long enough to report progress.
  source = makeGoldenSource(home.root, 64, { random: true });
});
afterAll(() => home.cleanup());

const open: Backend[] = [];
afterEach(async () => {
  killVms(home.paths);
  for (const b of open.splice(0)) await b.close();
  for (const dir of [home.paths.configDir, home.paths.runtimeDir, home.paths.dataDir]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function backend(): Promise<Client> {
  const made = await connectBackend({ paths: home.paths });
  open.push(made.backend);
  return made.client;
}

async function closeAll(): Promise<void> {
  for (const b of open.splice(0)) await b.close();
}

/** Files under images/ and overlays/ that no registry or definition names any more. */
function partials(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) walk(file);
      else if (e.name.endsWith('.partial')) found.push(file);
    }
  };
  walk(path.join(home.paths.dataDir, 'images'));
  walk(path.join(home.paths.dataDir, 'overlays'));
  return found;
}

async function bootable(client: Client, id: string): Promise<void> {
  await client.call('vm.start', { id });
  await client.call('vm.waitSerial', { id, text: GUEST_READY_MARKER, timeoutSeconds: 120 });
  await client.call('vm.kill', { id });
}

describe('a backend killed in the middle', { timeout: 300_000 }, () => {
  it.each([
    ['reset-stopped', true],
    ['reset-overlay-created', false],
    ['reset-spec-switched', false],
  ] as const)(
    'of a reset at %s leaves the golden image unchanged and the VM bootable',
    async (step, running) => {
      let client = await backend();
      const image = await client.call('image.add', { path: source, name: 'crash' });
      const golden = image.versions[0];
      if (!golden) throw new Error('no version');
      await client.call(
        'vm.create',
        tinyVmInput(guest, 'victim', 128, { display: { kind: 'none' }, gpu: { kind: 'none' } }),
      );
      await client.call('vm.golden', { id: 'victim', image: 'crash' });
      if (running) {
        await client.call('vm.start', { id: 'victim' });
        await client.call('vm.waitSerial', { id: 'victim', text: GUEST_READY_MARKER, timeoutSeconds: 120 });
      }
      const before = (await client.call('vm.get', { id: 'victim' })).spec.disks[0]?.path;
      await closeAll();

      const result = await runCli(['vm', 'reset-to-golden', 'victim', '--cold', '--yes'], {
        ...home.env,
        TESSERA_FAULT_KILL_AT: step,
      });
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stdout).not.toContain('reset cold');

      client = await backend();
      expect(sha256(golden.path)).toBe(golden.sha256);
      expect(partials()).toEqual([]);
      const vm = await client.call('vm.get', { id: 'victim' });
      expect(vm.state).not.toBe('running');
      const disk = vm.spec.disks[0]?.path ?? '';
      expect(fs.existsSync(disk)).toBe(true);
      // Before the switch the old overlay is still the VM's; after it, the new one; never neither.
      if (step === 'reset-spec-switched') expect(disk).not.toBe(before);
      else expect(disk).toBe(before);
      // Exactly one overlay is left: the one the definition names.
      expect(fs.readdirSync(path.dirname(disk)).filter((n) => n.endsWith('.qcow2'))).toEqual([
        path.basename(disk),
      ]);
      await bootable(client, 'victim');
      // And the next reset works.
      await expect(client.call('vm.resetToGolden', { id: 'victim', mode: 'cold' })).resolves.toMatchObject({
        mode: 'cold',
      });
      expect(sha256(golden.path)).toBe(golden.sha256);
    },
  );

  it.each(['promote-halfway', 'promote-copied'])(
    'of a promote at %s keeps the old version current and never registers a half image',
    async (step) => {
      let client = await backend();
      const image = await client.call('image.add', { path: source, name: 'crashp' });
      const golden = image.versions[0];
      if (!golden) throw new Error('no version');
      await client.call(
        'vm.create',
        tinyVmInput(guest, 'promoter', 128, { display: { kind: 'none' }, gpu: { kind: 'none' } }),
      );
      await client.call('vm.golden', { id: 'promoter', image: 'crashp' });
      await closeAll();

      const result = await runCli(['vm', 'promote', 'promoter'], {
        ...home.env,
        TESSERA_FAULT_KILL_AT: step,
      });
      expect(result.code, result.stderr).not.toBe(0);

      client = await backend();
      expect(sha256(golden.path)).toBe(golden.sha256);
      expect(partials()).toEqual([]);
      const after = (await client.call('image.list', {})).images[0];
      expect(after?.current).toBe(1);
      expect(after?.versions.map((v) => v.version)).toEqual([1]);
      expect(fs.readdirSync(path.dirname(golden.path))).toEqual([path.basename(golden.path)]);
      await bootable(client, 'promoter');
      // A promote run to the end works afterwards.
      await expect(client.call('vm.promote', { id: 'promoter' })).resolves.toMatchObject({ version: 2 });
      expect(sha256(golden.path)).toBe(golden.sha256);
    },
  );

  it('a promote onto a full disk fails with the sizes and changes nothing', async () => {
    // What statfs would say: plenty for the image, then a nearly full file system.
    let free = Number.MAX_SAFE_INTEGER;
    const { backend: b, client } = await connectBackend({ paths: home.paths, freeBytes: async () => free });
    open.push(b);
    await client.call('image.add', { path: source, name: 'full' });
    await client.call(
      'vm.create',
      tinyVmInput(guest, 'full', 128, { display: { kind: 'none' }, gpu: { kind: 'none' } }),
    );
    await client.call('vm.golden', { id: 'full', image: 'full' });
    free = 10 << 20;
    await expect(client.call('vm.promote', { id: 'full' })).rejects.toMatchObject({
      code: 'IO',
      message: expect.stringMatching(
        /not enough space .* needs up to \d+ MiB and 10 MiB are free; nothing was changed/,
      ),
    });
    expect((await client.call('image.list', {})).images[0]?.versions.map((v) => v.version)).toEqual([1]);
    expect(partials()).toEqual([]);
  });
});
