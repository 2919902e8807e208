import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import DEBIAN_12 from './debian-12-qemu-capabilities.json';
import { QemuCapabilityCache, displayOptionsFromSchema, parseDisplayHelp } from './qemu-capabilities';

describe('parseDisplayHelp', () => {
  it('lists the backends after the heading, whatever QEMU said about missing modules', () => {
    // Debian 12's QEMU without qemu-system-gui (stdout only; the module complaints go to stderr).
    const stdout = 'Available display backend types:\nnone\negl-headless\ncurses\nspice-app\ndbus\n';
    expect(parseDisplayHelp(stdout)).toEqual(['none', 'egl-headless', 'curses', 'spice-app', 'dbus']);
    expect(parseDisplayHelp('something else\n')).toEqual([]);
  });
});

describe('displayOptionsFromSchema', () => {
  // The shape of QEMU 7.2's query-qmp-schema around query-display-options (names are masked).
  const schema = [
    { name: 'query-display-options', 'meta-type': 'command', 'ret-type': '137' },
    {
      name: '137',
      'meta-type': 'object',
      members: [{ name: 'type' }, { name: 'full-screen' }, { name: 'gl' }],
      variants: [
        { case: 'gtk', type: '392' },
        { case: 'egl-headless', type: '395' },
        { case: 'none', type: '0' },
      ],
    },
    { name: '392', 'meta-type': 'object', members: [{ name: 'zoom-to-fit' }, { name: 'connectors' }] },
    { name: '395', 'meta-type': 'object', members: [{ name: 'rendernode' }] },
  ];

  it('gives each display type the common options and its own', () => {
    expect(displayOptionsFromSchema(schema)).toEqual({
      gtk: ['connectors', 'full-screen', 'gl', 'zoom-to-fit'],
      'egl-headless': ['full-screen', 'gl', 'rendernode'],
      none: ['full-screen', 'gl'],
    });
  });

  it('finds nothing in a schema without the command', () => {
    expect(displayOptionsFromSchema(schema.slice(1))).toEqual({});
  });
});

describe('QemuCapabilityCache', () => {
  let dir: string;
  let binary: string;
  let probes: string[];
  const probe = async (b: string): Promise<QemuCapabilities> => {
    probes.push(b);
    return { ...(DEBIAN_12 as QemuCapabilities), binary: b };
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-caps-'));
    binary = path.join(dir, 'qemu-system-x86_64');
    fs.writeFileSync(binary, 'v1');
    probes = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cacheFile = () => path.join(dir, 'cache', 'qemu-capabilities.json');

  it('probes a binary once, then answers from memory and from the file', async () => {
    const first = new QemuCapabilityCache(cacheFile(), probe);
    expect((await first.get(binary)).binary).toBe(binary);
    await first.get(binary);
    expect(probes).toEqual([binary]);
    // A new backend reads what the last one learned.
    await new QemuCapabilityCache(cacheFile(), probe).get(binary);
    expect(probes).toEqual([binary]);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile(), 'utf8')).entries)).toEqual([binary]);
  });

  it('probes again when the binary changed (an upgrade)', async () => {
    await new QemuCapabilityCache(cacheFile(), probe).get(binary);
    fs.writeFileSync(binary, 'version two');
    fs.utimesSync(binary, new Date(), new Date(Date.now() + 60_000));
    await new QemuCapabilityCache(cacheFile(), probe).get(binary);
    expect(probes).toEqual([binary, binary]);
  });

  it('does not remember a failed probe, and says when the binary is missing', async () => {
    let fail = true;
    const flaky = async (b: string) => {
      if (fail) throw new Error('QEMU crashed');
      return probe(b);
    };
    const cache = new QemuCapabilityCache(cacheFile(), flaky);
    await expect(cache.get(binary)).rejects.toThrow('QEMU crashed');
    fail = false;
    await expect(cache.get(binary)).resolves.toMatchObject({ binary });
    await expect(cache.get(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'QEMU_MISSING' });
  });

  it('probes afresh over a cache file it cannot read', async () => {
    fs.mkdirSync(path.dirname(cacheFile()));
    fs.writeFileSync(cacheFile(), '{"entries": 5}');
    await new QemuCapabilityCache(cacheFile(), probe).get(binary);
    expect(probes).toEqual([binary]);
  });
});
