import fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBackend, type Backend } from '../src/main/backend';
import { VmCreateInput } from '../src/shared/vm-spec';
import { makeGoldenSource } from '../tests/support/golden-source';
import { killVms, makeTempHome } from '../tests/support/temp-home';
import { GUEST_READY_MARKER, tinyVmInput, type TinyGuest } from '../tests/support/tiny-guest';
import { guardHome, removeHome } from './proc';
import { interleave, type Comparison } from './stats';

/** Random data under the file system, so a full copy copies real bytes. */
const GOLDEN_MIB = 64;
const MEMORY_MIB = 128;
const TIMEOUT_S = 120;

export interface GoldenResetResult {
  coldVsCopy: Comparison;
  warmVsCold: Comparison;
  allVsOne: Comparison;
  resetAllVms: number;
}

/** Serial-only guests: QEMU 7.2's VNC clipboard agent would block the warm side's snapshots. */
const serialOnly = { gpu: { kind: 'none' }, display: { kind: 'none' } };

/** Time until the guest's shell answers on its serial console (an echo round trip). */
async function serialAnswers(backend: Backend, id: string, n: number): Promise<void> {
  const { token } = await backend.consoles.open(id, 'serial');
  const channel = await backend.consoles.connect(token);
  if (!channel) throw new Error(`no serial console for ${id}`);
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`${id}'s shell did not answer`)), TIMEOUT_S * 1000);
      channel.start({
        data: (chunk) => {
          seen += chunk.toString('latin1');
          if (seen.includes(`R-${n + 1}`)) {
            clearTimeout(timer);
            resolve();
          }
        },
        drain: () => undefined,
        end: () => undefined,
      });
      channel.write(Buffer.from(`echo R-$((${n}+1))\n`), false);
    });
  } finally {
    channel.close();
  }
}

/**
 * Issue 11's three figures, each side by side in one run:
 * - cold reset (stop, new overlay, boot to the ready marker) against a full copy of the golden
 *   image plus the same stop and boot;
 * - warm reset (snapshot-load until the serial shell answers) against a cold reset until it answers;
 * - `booth.resetAll` of 4 running VMs (cold, in parallel) against one VM's cold reset.
 * One in-process backend, as `tessera serve` has; the guests are the tiny guest on a virtio disk.
 */
export async function benchGoldenReset(options: {
  guest: TinyGuest;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<GoldenResetResult> {
  const home = makeTempHome('tessera-bench-golden-');
  const guard = guardHome(home, () => []);
  let backend: Backend | undefined;
  try {
    const b = (backend = await createBackend({ paths: home.paths, accelerator: 'tcg' }));
    const ready = (id: string) => b.vms.waitSerial(id, GUEST_READY_MARKER, TIMEOUT_S);
    const source = makeGoldenSource(home.root, GOLDEN_MIB, { random: true });
    const image = await b.images.addImage(source, 'bench');
    const golden = image.versions[0];
    if (!golden) throw new Error('the golden image has no version');

    const ids = ['g1', 'g2', 'g3', 'g4'];
    for (const id of ids) {
      await b.vms.create(VmCreateInput.parse(tinyVmInput(options.guest, id, MEMORY_MIB, serialOnly)));
      await b.images.setGolden(id, 'bench', null);
    }
    // The baseline's VM boots from a plain full copy of the same image.
    const copy = path.join(home.root, 'copy.qcow2');
    await fsp.copyFile(golden.path, copy);
    await fsp.chmod(copy, 0o600);
    await b.vms.create(
      VmCreateInput.parse(
        tinyVmInput(options.guest, 'copy', MEMORY_MIB, {
          ...serialOnly,
          disks: [{ path: copy, format: golden.format }],
        }),
      ),
    );
    for (const id of ['g1', 'copy']) {
      await b.vms.start(id);
      await ready(id);
    }

    options.log('  cold reset vs full copy + boot');
    const coldVsCopy = await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: {
        label: 'cold reset: stop, new overlay, boot to ready',
        run: async () => {
          const t = performance.now();
          await b.images.reset('g1', 'cold');
          await ready('g1');
          return performance.now() - t;
        },
      },
      b: {
        label: 'full copy of the golden image + boot to ready',
        run: async () => {
          const t = performance.now();
          await b.vms.stop('copy', 30);
          await fsp.rm(copy);
          await fsp.copyFile(golden.path, copy);
          await fsp.chmod(copy, 0o600);
          await b.vms.start('copy');
          await ready('copy');
          return performance.now() - t;
        },
      },
    });
    await b.vms.kill('copy');

    options.log('  warm vs cold');
    await b.vms.start('g2');
    await ready('g2');
    await b.images.markReady('g1');
    let n = 1000;
    const warmVsCold = await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: {
        label: 'warm reset: snapshot-load until the shell answers',
        run: async () => {
          const t = performance.now();
          await b.images.reset('g1', 'warm');
          await serialAnswers(b, 'g1', (n += 10));
          return performance.now() - t;
        },
      },
      b: {
        label: 'cold reset until the shell answers',
        run: async () => {
          const t = performance.now();
          await b.images.reset('g2', 'cold');
          await ready('g2');
          await serialAnswers(b, 'g2', (n += 10));
          return performance.now() - t;
        },
      },
    });
    await b.vms.kill('g1');

    for (const id of ids) {
      if ((await b.vms.get(id)).state !== 'running') await b.vms.start(id);
      await ready(id);
    }
    options.log('  reset-all of 4 vs one');
    const allVsOne = await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: {
        label: `booth reset-all, ${ids.length} VMs, until every one is ready`,
        run: async () => {
          const t = performance.now();
          const { results } = await b.images.resetAll('cold');
          const failed = results.find((r) => 'error' in r);
          if (failed && 'error' in failed) throw new Error(`reset-all: ${failed.id}: ${failed.error}`);
          await Promise.all(ids.map(ready));
          return performance.now() - t;
        },
      },
      b: {
        label: 'one VM reset, until it is ready',
        run: async () => {
          const t = performance.now();
          await b.images.reset('g1', 'cold');
          await ready('g1');
          return performance.now() - t;
        },
      },
    });
    return { coldVsCopy, warmVsCold, allVsOne, resetAllVms: ids.length };
  } finally {
    guard.killAll();
    await backend?.close();
    killVms(home.paths);
    guard.forget();
    removeHome(home.root);
  }
}
