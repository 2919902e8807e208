import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/shared/client';
import { createMemoryTransportPair } from '../../src/shared/memory-transport';
import { serveTransport } from '../../src/main/rpc/dispatcher';
import { createBackend, type Backend } from '../../src/main/backend';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { KIOSK_DEFAULTS } from '../../src/shared/kiosk';

let home: TempHome;
let backend: Backend;
let client: Client;
let disks: string;

function connect(): Client {
  const [a, b] = createMemoryTransportPair();
  serveTransport(b, backend.dispatcher, backend.events);
  return createClient(a);
}

beforeAll(async () => {
  home = makeTempHome('tessera-dfs-');
  backend = await createBackend({ paths: home.paths, accelerator: 'tcg', validateOutputs: true });
  client = connect();
  disks = path.join(home.root, 'disks');
  fs.mkdirSync(disks);
});

afterAll(async () => {
  await backend.close();
  home.cleanup();
});

function imageInfo(file: string): { format: string; 'virtual-size': number } {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', file], { encoding: 'utf8' })) as {
    format: string;
    'virtual-size': number;
  };
}

describe('disk.create', () => {
  it('makes a thin qcow2 of the size asked for, and reports progress to 100', async () => {
    const file = path.join(disks, 'system.qcow2');
    const progress: number[] = [];
    client.on('disk.progress', (p) => {
      if (p.path === file) progress.push(p.percent);
    });
    const made = await client.call('disk.create', { path: file, sizeGiB: 8 });
    expect(made).toEqual({ path: file, format: 'qcow2', sizeBytes: 8 * 1024 ** 3 });
    expect(imageInfo(file)).toMatchObject({ format: 'qcow2', 'virtual-size': 8 * 1024 ** 3 });
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
    await expect.poll(() => progress.at(-1)).toBe(100);
    expect(progress[0]).toBe(0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('reserves the whole size of a raw disk, in whole sectors', async () => {
    const file = path.join(disks, 'scratch.raw');
    const made = await client.call('disk.create', { path: file, sizeGiB: 0.01, format: 'raw' });
    const bytes = Math.ceil((0.01 * 1024 ** 3) / 512) * 512;
    expect(made).toEqual({ path: file, format: 'raw', sizeBytes: bytes });
    const stat = fs.statSync(file);
    expect(stat.size).toBe(bytes);
    expect(stat.blocks * 512).toBeGreaterThanOrEqual(bytes);
  });

  it('never overwrites a file', async () => {
    const file = path.join(disks, 'precious.img');
    fs.writeFileSync(file, 'user data');
    await expect(client.call('disk.create', { path: file, sizeGiB: 1 })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `${file} already exists: Tessera never overwrites a disk, pick another name`,
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('user data');
  });

  it('says when the folder is missing, or the path is not a full one', async () => {
    const missing = path.join(disks, 'no-such-folder');
    await expect(
      client.call('disk.create', { path: path.join(missing, 'a.qcow2'), sizeGiB: 1 }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(`the folder ${missing} does not exist`),
    });
    expect(fs.existsSync(missing)).toBe(false);
    await expect(client.call('disk.create', { path: 'vms/a.qcow2', sizeGiB: 1 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('full path'),
    });
  });

  it("makes missing folders inside Tessera's data dir, and only there", async () => {
    const file = path.join(home.paths.dataDir, 'disks', 'editor-1.qcow2');
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    expect(await client.call('disk.create', { path: file, sizeGiB: 1 })).toMatchObject({ path: file });
    expect((fs.statSync(path.dirname(file)).mode & 0o777).toString(8)).toBe('700');
    const outside = path.join(home.root, 'elsewhere', 'x.qcow2');
    await expect(client.call('disk.create', { path: outside, sizeGiB: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    // A path that only looks like it is inside, by climbing out of it, is elsewhere.
    const climbing = `${home.paths.dataDir}/../escaped/y.qcow2`;
    await expect(client.call('disk.create', { path: climbing, sizeGiB: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(fs.existsSync(path.join(path.dirname(home.paths.dataDir), 'escaped'))).toBe(false);
  });

  it('refuses sizes outside the contract before anything runs', async () => {
    for (const sizeGiB of [0, -1, 65537]) {
      await expect(
        client.call('disk.create', { path: path.join(disks, `s${sizeGiB}.qcow2`), sizeGiB }),
      ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    await expect(
      client.call('disk.create', { path: path.join(disks, 'x.vmdk'), sizeGiB: 1, format: 'vmdk' as 'raw' }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    for (const name of ['s0.qcow2', 's-1.qcow2', 's65537.qcow2', 'x.vmdk']) {
      expect(fs.existsSync(path.join(disks, name))).toBe(false);
    }
  });

  it('removes what it claimed when qemu-img fails', async () => {
    // 64 TiB cannot be reserved on the test file system; qemu-img's own reason comes back.
    const file = path.join(disks, 'huge.raw');
    await expect(
      client.call('disk.create', { path: file, sizeGiB: 65536, format: 'raw' }),
    ).rejects.toMatchObject({
      code: 'QEMU_FAILED',
      message: expect.stringContaining(`qemu-img could not create ${file}`),
    });
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('fs.stat', () => {
  it('tells files, folders and missing paths apart', async () => {
    const file = path.join(disks, 'system.qcow2');
    expect(await client.call('fs.stat', { path: file })).toEqual({
      path: file,
      exists: true,
      kind: 'file',
      readable: true,
      writable: true,
      sizeBytes: fs.statSync(file).size,
    });
    expect(await client.call('fs.stat', { path: `${disks}/` })).toMatchObject({
      path: `${disks}/`,
      exists: true,
      kind: 'directory',
    });
    expect(await client.call('fs.stat', { path: '/dev/null' })).toMatchObject({
      kind: 'other',
      exists: true,
    });
    expect(await client.call('fs.stat', { path: path.join(disks, 'nope.iso') })).toEqual({
      path: path.join(disks, 'nope.iso'),
      exists: false,
      readable: false,
      writable: false,
    });
  });

  it('wants a full path', async () => {
    await expect(client.call('fs.stat', { path: 'relative.iso' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(client.call('fs.stat', { path: '' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('settings', () => {
  const file = () => path.join(home.paths.configDir, 'settings.json');

  it('start from the defaults, without writing a file', async () => {
    expect(await client.call('settings.get', {})).toEqual({
      appearance: { theme: 'system' },
      gallery: { sortBy: 'name', thumbnails: true },
      wall: { layout: '2x2', vms: [] },
      console: { scaling: 'fit' },
      kiosk: KIOSK_DEFAULTS,
    });
    expect(fs.existsSync(file())).toBe(false);
  });

  it('replace the sections given, keep the others, and tell every front', async () => {
    const other = connect();
    const seen: unknown[] = [];
    other.on('settings.changed', ({ settings }) => seen.push(settings));
    const updated = await client.call('settings.update', { wall: { layout: '3x3', vms: ['a', 'b'] } });
    expect(updated.wall).toEqual({ layout: '3x3', vms: ['a', 'b'] });
    const again = await client.call('settings.update', { appearance: { theme: 'dark' } });
    expect(again).toMatchObject({ appearance: { theme: 'dark' }, wall: { layout: '3x3' } });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual(again);
    expect(JSON.parse(fs.readFileSync(file(), 'utf8'))).toEqual(again);
    expect((fs.statSync(file()).mode & 0o777).toString(8)).toBe('600');
  });

  it('refuse unknown sections and bad values', async () => {
    await expect(client.call('settings.update', { nonsense: {} } as never)).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(
      client.call('settings.update', { appearance: { theme: 'neon' as 'dark' } }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(client.call('settings.update', { wall: { vms: ['../etc'] } })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });

  it('report a broken file and never overwrite it', async () => {
    fs.writeFileSync(file(), '{"appearance": {"theme": "dark"},');
    await expect(client.call('settings.get', {})).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^the settings file .*settings\.json is invalid \(not valid JSON/),
    });
    await expect(client.call('settings.update', { appearance: { theme: 'light' } })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    expect(fs.readFileSync(file(), 'utf8')).toBe('{"appearance": {"theme": "dark"},');
    fs.writeFileSync(file(), '{"appearance": {"theme": "purple"}}');
    await expect(client.call('settings.get', {})).rejects.toMatchObject({
      message: expect.stringContaining('appearance.theme'),
    });
    fs.rmSync(file());
  });
});
