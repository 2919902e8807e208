import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { VmInfo, VmState } from '../../shared/vm-spec';
import { testVmInfo } from '../../../tests/support/vm-info';
import { vmDataFiles, type TesseraPaths } from '../paths';
import { DomainEventBus } from '../events';
import type * as png from './png';
import { decodePng, encodePng } from './png';
import { ThumbnailService } from './thumbnail-service';

// Counted, not replaced: the test of unchanged screens asks how many frames were encoded.
vi.mock('./png', async (actual) => {
  const real = await actual<typeof png>();
  return { ...real, encodePng: vi.fn(real.encodePng) };
});

let root: string;
let paths: TesseraPaths;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-thumbs-'));
  paths = {
    configDir: path.join(root, 'c'),
    runtimeDir: path.join(root, 'r'),
    dataDir: path.join(root, 'd'),
    cacheDir: path.join(root, 'cache'),
  };
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A 640x400 screen of one colour, as QEMU's PPM dump. */
function ppm(shade: number): Buffer {
  return Buffer.concat([Buffer.from('P6\n640 400\n255\n'), Buffer.alloc(640 * 400 * 3, shade)]);
}

function setup(gpu: 'std' | 'none' = 'std') {
  const clock = { now: Date.parse('2025-06-01T10:00:00.000Z') };
  const vm: VmInfo = testVmInfo('v', {
    spec: { gpu: { kind: gpu }, ...(gpu === 'none' && { display: { kind: 'none' } }) },
    state: 'running',
    createdAt: '2025-01-01T00:00:00.000Z',
    since: new Date(clock.now - 60_000).toISOString(),
  });
  const dumps: number[] = [];
  let shade = 10;
  let failing = false;
  const vms = {
    get: (id: string) =>
      id === vm.id
        ? Promise.resolve(vm)
        : Promise.reject(new TesseraError('NOT_FOUND', `no VM named '${id}'`)),
    screendump: (_id: string, format: 'png' | 'ppm') => {
      expect(format).toBe('ppm');
      if (failing) return Promise.reject(new TesseraError('INVALID_STATE', 'not answering on QMP'));
      dumps.push(clock.now);
      return Promise.resolve(ppm(shade));
    },
  };
  const bus = new DomainEventBus();
  const service = new ThumbnailService({ paths, vms, bus, now: () => clock.now });
  const setState = (state: VmState) => {
    vm.state = state;
    vm.since = new Date(clock.now).toISOString();
    bus.emit('vm.changed', { vm });
  };
  return {
    service,
    clock,
    dumps,
    setState,
    setShade: (s: number) => (shade = s),
    setFailing: (f: boolean) => (failing = f),
  };
}

const shadeOf = (t: { pngBase64: string | null }) => {
  if (t.pngBase64 === null) throw new Error('no picture');
  return decodePng(Buffer.from(t.pngBase64, 'base64')).data[0];
};

describe('ThumbnailService', () => {
  it('shrinks a running VM screen to the width asked for, keeping its shape', async () => {
    const { service, clock } = setup();
    const thumb = await service.thumbnail('v', 320);
    expect(thumb).toMatchObject({
      width: 320,
      height: 200,
      live: true,
      takenAt: new Date(clock.now).toISOString(),
    });
    expect(shadeOf(thumb)).toBe(10);
  });

  it('shares a fresh dump between callers, and dumps again once it is stale', async () => {
    const { service, clock, dumps, setShade } = setup();
    await Promise.all([service.thumbnail('v', 320), service.thumbnail('v', 320)]);
    clock.now += 100;
    await service.thumbnail('v', 320);
    expect(dumps).toHaveLength(1);
    clock.now += 1000;
    setShade(20);
    expect(shadeOf(await service.thumbnail('v', 320))).toBe(20);
    expect(dumps).toHaveLength(2);
  });

  it("encodes a running VM's screen again only when its pixels changed", async () => {
    const { service, clock, dumps, setShade } = setup();
    const first = await service.thumbnail('v', 320);
    const encodes = vi.mocked(encodePng).mock.calls.length;
    clock.now += 1000;
    const same = await service.thumbnail('v', 320);
    expect(dumps).toHaveLength(2);
    expect(vi.mocked(encodePng).mock.calls.length).toBe(encodes);
    // Still a fresh look at the screen: the time is the new dump's.
    expect(same).toMatchObject({ pngBase64: first.pngBase64, takenAt: new Date(clock.now).toISOString() });
    clock.now += 1000;
    setShade(30);
    expect(shadeOf(await service.thumbnail('v', 320))).toBe(30);
    expect(vi.mocked(encodePng).mock.calls.length).toBe(encodes + 1);
    // A screen that flips between two pictures (a blinking cursor) is encoded once per picture.
    for (const shade of [10, 30, 10, 30]) {
      clock.now += 1000;
      setShade(shade);
      expect(shadeOf(await service.thumbnail('v', 320))).toBe(shade);
    }
    expect(vi.mocked(encodePng).mock.calls.length).toBe(encodes + 1);
  });

  it("reuses a paused VM's frame for as long as it stays paused", async () => {
    const { service, clock, dumps, setState } = setup();
    setState('paused');
    clock.now += 10;
    await service.thumbnail('v', 320);
    for (let i = 0; i < 16; i++) {
      clock.now += 1000;
      expect((await service.thumbnail('v', 320)).live).toBe(true);
    }
    expect(dumps).toHaveLength(1);
    setState('running');
    clock.now += 1000;
    await service.thumbnail('v', 320);
    expect(dumps).toHaveLength(2);
  });

  it('does not take a frame dumped before the pause for the paused screen', async () => {
    const { service, clock, dumps, setState } = setup();
    await service.thumbnail('v', 320);
    clock.now += 100;
    setState('paused');
    await service.thumbnail('v', 320);
    expect(dumps).toHaveLength(2);
  });

  it('keeps the last frame of a VM that stops, on disk, and serves it greyed out', async () => {
    const { service, clock, setState } = setup();
    const seen = await service.thumbnail('v', 480);
    setState('stopped');
    // Asked at once, while the file is still being written: the answer waits for it.
    expect(await service.thumbnail('v', 480)).toMatchObject({ live: false, takenAt: seen.takenAt });
    expect(fs.existsSync(vmDataFiles(paths.dataDir, 'v').lastFrame)).toBe(true);
    clock.now += 60_000;
    const last = await service.thumbnail('v', 480);
    expect(last).toMatchObject({ width: 480, height: 300, live: false, takenAt: seen.takenAt });
    const smaller = await service.thumbnail('v', 240);
    expect(smaller).toMatchObject({ width: 240, height: 150, live: false });
    expect(shadeOf(smaller)).toBe(10);
  });

  it('has no picture for a VM never seen, nor for one without a display', async () => {
    const never = setup();
    never.setState('stopped');
    expect(await never.service.thumbnail('v', 320)).toEqual({
      pngBase64: null,
      width: 0,
      height: 0,
      takenAt: null,
      live: false,
    });
    const headless = setup('none');
    expect((await headless.service.thumbnail('v', 320)).pngBase64).toBeNull();
  });

  it('shows the previous frame while a VM starts and QEMU does not answer yet', async () => {
    const { service, setState, setFailing } = setup();
    await service.thumbnail('v', 320);
    setState('stopped');
    await expect.poll(() => fs.existsSync(vmDataFiles(paths.dataDir, 'v').lastFrame)).toBe(true);
    setState('starting');
    setFailing(true);
    expect(await service.thumbnail('v', 320)).toMatchObject({ live: false, width: 320 });
    setState('running');
    await expect(service.thumbnail('v', 320)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('shows the frame last seen while a VM shuts down and QEMU stops answering', async () => {
    const { service, clock, setState, setFailing } = setup();
    await service.thumbnail('v', 320);
    clock.now += 5000;
    setState('stopping');
    setFailing(true);
    expect(await service.thumbnail('v', 320)).toMatchObject({ live: false, width: 320 });
  });

  it('keeps the frames of running VMs when the backend closes', async () => {
    const { service } = setup();
    await service.thumbnail('v', 320);
    await service.close();
    expect(fs.existsSync(vmDataFiles(paths.dataDir, 'v').lastFrame)).toBe(true);
  });

  it('passes on NOT_FOUND', async () => {
    const { service } = setup();
    await expect(service.thumbnail('ghost', 320)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
