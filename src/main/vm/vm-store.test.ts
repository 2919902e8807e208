import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { VmSpec } from '../../shared/vm-spec';
import { VmStore } from './vm-store';
import { rejection } from '../../../tests/support/rejection';
import { TEST_VM_UUID } from '../../../tests/support/vm-info';

let configDir: string;
let store: VmStore;
beforeEach(() => {
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-store-'));
  store = new VmStore(configDir);
});
afterEach(() => {
  fs.rmSync(configDir, { recursive: true, force: true });
});

type SpecInput = Partial<z.input<typeof VmSpec>>;

function spec(input: SpecInput = {}): VmSpec {
  return VmSpec.parse({
    name: 'alpha',
    uuid: TEST_VM_UUID,
    createdAt: '2025-01-02T03:04:05.000Z',
    ...input,
  });
}

/** Write a definition file by hand, as a user editing the folder would. */
function writeDefinition(fileName: string, content: string): string {
  const file = path.join(configDir, 'vms', fileName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function snapshot(file: string): { content: string; mtimeMs: number; mode: number } {
  const stat = fs.statSync(file);
  return { content: fs.readFileSync(file, 'utf8'), mtimeMs: stat.mtimeMs, mode: stat.mode };
}

describe('VmStore', () => {
  it('round-trips a saved definition through load and get', async () => {
    const vm = spec({
      cpus: 2,
      memoryMiB: 2048,
      disks: [{ path: '/images/alpha.qcow2' }],
      network: { forwards: [{ hostPort: 2222, guestPort: 22 }] },
      kernel: { path: '/boot/vmlinuz', append: 'console=ttyS0' },
    });
    await store.save(vm);
    expect(await store.load()).toEqual({ specs: [vm], invalid: [] });
    expect(await store.get('alpha')).toEqual(vm);
    expect(await store.exists('alpha')).toBe(true);
    expect(fs.existsSync(store.fileFor('alpha'))).toBe(true);
  });

  it('writes the file as pretty JSON atomically: mode 0600 and no temp files left', async () => {
    await store.save(spec());
    await store.save(spec({ cpus: 4 }));
    expect(fs.readdirSync(store.dir)).toEqual(['alpha.json']);
    const file = store.fileFor('alpha');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(spec({ cpus: 4 }));
  });

  it('refuses to save a spec that breaks the schema', async () => {
    const bad = { ...spec(), cpus: 0 };
    expect(() => VmSpec.parse(bad)).toThrow();
    await expect(store.save(bad)).rejects.toThrow();
    expect(fs.existsSync(store.fileFor('alpha'))).toBe(false);
  });

  it('loads nothing when the folder does not exist', async () => {
    expect(fs.existsSync(store.dir)).toBe(false);
    expect(await store.load()).toEqual({ specs: [], invalid: [] });
  });

  it('reports broken definitions with their reason while the valid ones still load', async () => {
    const good = spec({ name: 'good' });
    await store.save(good);
    const notJson = writeDefinition('broken.json', '{ "name": "broken", ');
    const badSchema = writeDefinition(
      'tiny.json',
      JSON.stringify({ ...spec({ name: 'tiny' }), memoryMiB: 16 }, null, 2),
    );
    const misnamed = writeDefinition('other.json', JSON.stringify(spec({ name: 'renamed' }), null, 2));
    // Not definitions: ignored.
    writeDefinition('.hidden.json', 'not even json');
    writeDefinition('notes.txt', 'hello');

    const loaded = await store.load();
    expect(loaded.specs).toEqual([good]);
    expect(loaded.invalid).toHaveLength(3);
    const byFile = new Map(loaded.invalid.map((i) => [i.file, i.reason]));
    expect(byFile.get(notJson)).toMatch(/^not valid JSON \(/);
    expect(byFile.get(badSchema)).toBe('memoryMiB: memory must be at least 64 MiB');
    expect(byFile.get(misnamed)).toBe("its name 'renamed' does not match the file name 'other.json'");
  });

  it('loads definitions written before the GPU field, upgraded, and leaves the files as they are', async () => {
    // Written by Tessera before `vga` and the `display` string became `gpu` and `display` unions.
    const fixtures = fileURLToPath(new URL('./__fixtures__/definitions-before-gpu', import.meta.url));
    const files = fs.readdirSync(fixtures).map((name) => {
      const content = fs.readFileSync(path.join(fixtures, name), 'utf8');
      return { file: writeDefinition(name, content), content };
    });
    const { specs, invalid } = await store.load();
    expect(invalid).toEqual([]);
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect(byName.get('desktop')).toMatchObject({
      gpu: { kind: 'virtio', gl: false },
      display: { kind: 'spice' },
      firmware: 'uefi',
      disks: [{ path: '/home/ada/vms/desktop.qcow2', bus: 'virtio' }],
      network: { model: 'virtio', forwards: [{ hostPort: 2222 }] },
    });
    // No adapter never showed a picture: its VNC display becomes none.
    expect(byName.get('serial-only')).toMatchObject({ gpu: { kind: 'none' }, display: { kind: 'none' } });
    expect(byName.get('headless')).toMatchObject({ gpu: { kind: 'std' }, display: { kind: 'none' } });
    for (const { file, content } of files) expect(fs.readFileSync(file, 'utf8')).toBe(content);
    // The next save writes today's shape.
    const desktop = byName.get('desktop');
    if (!desktop) throw new Error('desktop did not load');
    await store.save(desktop);
    const saved = JSON.parse(fs.readFileSync(store.fileFor('desktop'), 'utf8')) as Record<string, unknown>;
    expect(saved).not.toHaveProperty('vga');
    expect(saved['display']).toEqual({ kind: 'spice' });
  });

  it('gives NOT_FOUND for a missing definition', async () => {
    await store.save(spec());
    const error = await rejection(store.get('nobody'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('nobody');
    expect(await store.exists('nobody')).toBe(false);
  });

  it('gives BAD_INPUT naming the file for a broken definition', async () => {
    const file = writeDefinition('broken.json', '{ nope');
    const error = await rejection(store.get('broken'));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');

    const misnamed = writeDefinition('other.json', JSON.stringify(spec({ name: 'renamed' })));
    const mismatch = await rejection(store.get('other'));
    expect(mismatch.code).toBe('BAD_INPUT');
    expect(mismatch.message).toContain(misnamed);
    expect(mismatch.message).toContain("does not match the file name 'other.json'");
  });

  it('never modifies broken files when loading or getting them', async () => {
    const files = [
      writeDefinition('broken.json', '{ "name": "broken", '),
      writeDefinition('tiny.json', JSON.stringify({ ...spec({ name: 'tiny' }), cpus: 1000 })),
      writeDefinition('other.json', JSON.stringify(spec({ name: 'renamed' }))),
    ];
    // Back-date them so a rewrite would show in mtime even on coarse clocks.
    const past = new Date('2020-01-01T00:00:00Z');
    for (const f of files) fs.utimesSync(f, past, past);
    const before = files.map(snapshot);

    await store.load();
    for (const id of ['broken', 'tiny', 'other']) await rejection(store.get(id));
    await store.load();

    expect(files.map(snapshot)).toEqual(before);
    expect(fs.readdirSync(store.dir).sort()).toEqual(['broken.json', 'other.json', 'tiny.json']);
  });

  it('removes a definition, and removing a missing one is not an error', async () => {
    await store.save(spec({ name: 'a' }));
    await store.save(spec({ name: 'b' }));
    await store.remove('a');
    expect(fs.existsSync(store.fileFor('a'))).toBe(false);
    expect((await store.load()).specs.map((s) => s.name)).toEqual(['b']);
    await expect(store.remove('a')).resolves.toBeUndefined();
    expect((await rejection(store.get('a'))).code).toBe('NOT_FOUND');
  });

  it('re-reads the folder on every load, so hand edits show at once', async () => {
    await store.save(spec());
    const file = store.fileFor('alpha');
    const edited = { ...(JSON.parse(fs.readFileSync(file, 'utf8')) as object), cpus: 8 };
    fs.writeFileSync(file, JSON.stringify(edited));
    expect((await store.get('alpha')).cpus).toBe(8);
    expect((await store.load()).specs[0]?.cpus).toBe(8);
  });
});
