// What the probe reads from the real QEMU: it must be what the argv tests assume Debian's QEMU
// 7.2 can do (src/main/host/debian-12-qemu-capabilities.json), or those goldens describe another QEMU.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import DEBIAN_12 from '../../src/main/host/debian-12-qemu-capabilities.json';
import { findQemu } from '../../src/main/host/qemu-binary';
import { probeQemuCapabilities } from '../../src/main/host/qemu-capabilities';
import { connectBackend } from '../support/memory-backend';
import { makeTempHome, type TempHome } from '../support/temp-home';

const qemu = findQemu({ env: process.env }).path;
const debian =
  fs.existsSync('/etc/debian_version') && fs.readFileSync('/etc/debian_version', 'utf8').startsWith('12');

let home: TempHome;
beforeAll(() => {
  home = makeTempHome('tessera-caps-');
});
afterAll(() => home.cleanup());

describe("the installed QEMU's capabilities", () => {
  it.skipIf(!debian)("are Debian 12's QEMU 7.2 with qemu-system-gui, as the argv tests assume", async () => {
    const probed = await probeQemuCapabilities(qemu);
    const minor = (version: string) => version.split('.').slice(0, 2);
    expect(minor(probed.version)).toEqual(minor(DEBIAN_12.version));
    expect({ ...probed, binary: '', version: '' }).toEqual({ ...DEBIAN_12, binary: '', version: '' });
  });

  it('are probed once per binary and kept in the cache dir for the next backend', async () => {
    const paths = { ...home.paths, cacheDir: path.join(home.root, 'cache') };
    const { backend, client } = await connectBackend({ paths });
    const caps = await client.call('host.qemuCapabilities', {});
    await backend.close();
    expect(caps.binary).toBe(qemu);
    expect(caps.displays).toContain('egl-headless');
    const cached = JSON.parse(
      fs.readFileSync(path.join(paths.cacheDir, 'qemu-capabilities.json'), 'utf8'),
    ) as {
      entries: Record<string, { mtimeMs: number }>;
    };
    expect(cached.entries[qemu]?.mtimeMs).toBe(fs.statSync(qemu).mtimeMs);
  });
});
