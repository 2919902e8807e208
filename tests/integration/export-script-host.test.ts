// A script export run on a simulated ADL-P does what Tessera's own start does (issue 13): its
// sysfs writes, redirected into a copy of the tree (TESSERA_HOST_ROOT, each write made by the
// simulated kernel), leave the tree exactly as Tessera's start leaves the other copy while the VM
// runs; the QEMU argv it runs equals `vm args`; and its give-back at exit leaves the tree as
// Tessera's stop does. QEMU itself is a stand-in that records its argv and the tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, stop as stopEsbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/main/backend';
import type { Client } from '../../src/shared/client';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { changedPaths, snapshotTree } from '../support/helper-host';
import { connectBackend } from '../support/memory-backend';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

const ADLP = '0000:00:02.0';
let home: TempHome;
let guest: TinyGuest;
let backend: Backend;
let client: Client;
let writer: string;
let treeA: string;
let treeB: string;

beforeAll(async () => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-export-script-');
  const bundle = path.join(home.root, 'sim-kernel-writer.mjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL('../support/sim-kernel-writer.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'silent',
  });
  // esbuild keeps a service process for later builds; this file makes no more.
  await stopEsbuild();
  writer = path.join(home.root, 'sim-kernel-writer');
  fs.writeFileSync(writer, `#!/bin/sh\nexec ${process.execPath} ${bundle} "$@"\n`, { mode: 0o755 });
  treeA = path.join(home.root, 'host-a');
  buildHostTree(findSimulatedHost('adl-p'), treeA);
  ({ backend, client } = await connectBackend({ paths: home.paths, hostRoot: treeA }));
  // VFs on the host's driver, so taking one and giving it back both show in the tree.
  const preview = await client.call('gpu.plan', { kind: 'layout', pf: ADLP, vfCount: 2, bind: 'host' });
  if (preview.plan) await client.call('gpu.apply', { plan: preview.plan, origin: 'cli' });
  treeB = path.join(home.root, 'host-b');
  fs.cpSync(treeA, treeB, { recursive: true, verbatimSymlinks: true });
}, 120_000);

afterAll(async () => {
  killVms(home.paths);
  await backend.close();
  home.cleanup();
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a script export on a simulated ADL-P', () => {
  it('takes the VF as Tessera’s start does, runs the argv of vm args, gives the VF back as the stop does', async () => {
    const id = 'kiosk-vf';
    await client.call('vm.create', {
      name: id,
      memoryMiB: 128,
      kernel: { path: guest.kernel, initrd: guest.initrd, append: guest.append },
      gpu: { kind: 'vf', pf: ADLP },
      display: { kind: 'vnc' },
    });
    const { argv } = await client.call('vm.args', { id });
    const { text } = await client.call('vm.export', { id, format: 'script' });
    const before = snapshotTree(treeA);
    expect(changedPaths(before, snapshotTree(treeB))).toEqual([]);

    // Tessera's own start and stop on tree A.
    await client.call('vm.start', { id });
    const started = snapshotTree(treeA);
    expect(changedPaths(before, started).length).toBeGreaterThan(0);
    await client.call('vm.kill', { id });
    const leaseFile = path.join(home.paths.runtimeDir, id, 'gpu-lease.json');
    await until(
      async () => (await client.call('vm.get', { id })).state !== 'running' && !fs.existsSync(leaseFile),
      'the VF to be given back',
    );
    const stopped = snapshotTree(treeA);

    // The script on tree B, with a QEMU that records its argv and the tree, then ends.
    const out = path.join(home.root, 'script-run');
    fs.mkdirSync(out);
    const script = path.join(out, 'vm.sh');
    fs.writeFileSync(script, text, { mode: 0o755 });
    const fakeQemu = path.join(out, 'qemu');
    fs.writeFileSync(
      fakeQemu,
      `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > ${out}/argv\ncp -a ${treeB} ${out}/tree-while-running\n`,
      { mode: 0o755 },
    );
    const result = spawnSync('sh', [script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        TESSERA_HOST_ROOT: treeB,
        TESSERA_KERNEL_WRITER: writer,
        TESSERA_QEMU: fakeQemu,
      },
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    const recorded = fs.readFileSync(path.join(out, 'argv'), 'utf8').split('\n').slice(0, -1);
    expect(recorded.slice(1)).toEqual(argv.slice(1));
    expect(changedPaths(started, snapshotTree(path.join(out, 'tree-while-running')))).toEqual([]);
    expect(changedPaths(stopped, snapshotTree(treeB))).toEqual([]);
  }, 120_000);
});
