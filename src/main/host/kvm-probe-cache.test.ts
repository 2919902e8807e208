import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvmProbeCache } from './kvm-probe-cache';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-kvmcache-'));
  dirs.push(dir);
  const binary = path.join(dir, 'qemu-system-x86_64');
  fs.writeFileSync(binary, 'v1');
  const file = path.join(dir, 'cache', 'kvm-probe.json');
  let probes = 0;
  const probe = () => {
    probes += 1;
    return Promise.resolve({ ok: false, reason: `probe ${probes}`, kvmMs: 2000, tcgMs: 900 });
  };
  return { binary, file, probe, probes: () => probes };
}

describe('KvmProbeCache', () => {
  it('probes once per boot and binary: a later backend in the same boot reads the answer', async () => {
    const s = setup();
    const first = await new KvmProbeCache(s.file, s.probe, () => 'boot-1').get(s.binary);
    expect(first).toMatchObject({ reason: 'probe 1', cached: false });
    const later = await new KvmProbeCache(s.file, s.probe, () => 'boot-1').get(s.binary);
    expect(later).toMatchObject({ reason: 'probe 1', cached: true });
    expect(s.probes()).toBe(1);
  });

  it('probes again after a reboot or when the binary changes', async () => {
    const s = setup();
    await new KvmProbeCache(s.file, s.probe, () => 'boot-1').get(s.binary);
    expect(await new KvmProbeCache(s.file, s.probe, () => 'boot-2').get(s.binary)).toMatchObject({
      reason: 'probe 2',
      cached: false,
    });
    fs.writeFileSync(s.binary, 'version 2, another size');
    expect(await new KvmProbeCache(s.file, s.probe, () => 'boot-2').get(s.binary)).toMatchObject({
      reason: 'probe 3',
    });
  });

  it('remembers nothing without a boot id, and starts afresh from a broken file', async () => {
    const s = setup();
    await new KvmProbeCache(s.file, s.probe, () => null).get(s.binary);
    expect(fs.existsSync(s.file)).toBe(false);
    fs.mkdirSync(path.dirname(s.file), { recursive: true });
    fs.writeFileSync(s.file, '{not json');
    expect(await new KvmProbeCache(s.file, s.probe, () => 'boot-1').get(s.binary)).toMatchObject({
      cached: false,
    });
    expect(JSON.parse(fs.readFileSync(s.file, 'utf8')).entries[s.binary].bootId).toBe('boot-1');
  });
});
