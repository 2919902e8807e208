// Run matrices (issue 12) with real QEMU (TCG) and the tiny guest: two GPU layout presets on a
// simulated ADL-P VF through the CLI (each run's record names its preset's provisioning, the diff
// of the two cells names that difference, the VM definition and the GPU layout are as before),
// and two golden images as the boot disk of each run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import { currentShares, presetShares } from '../../src/shared/gpu-shares';
import type { MatrixRecord } from '../../src/shared/run-matrix';
import type { RunDiff, RunRecord, RunSummary } from '../../src/shared/run-record';
import type { VmInfo } from '../../src/shared/vm-spec';
import { runCli } from '../support/cli-process';
import { killAtFirstStep } from '../support/run-records';
import { makeGoldenSource } from '../support/golden-source';
import { connectBackend } from '../support/memory-backend';
import { buildTinyGuest, tinyGuestCreateOptions, tinyVmInput, type TinyGuest } from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

const SAMPLE_PLAN = path.join(REPO_ROOT, 'resources', 'plans', 'gpu-guest-smoke.yaml');
/** Tiny guests under TCG on a shared 2-core machine: a run takes seconds alone, minutes under load. */
const LOADED_MACHINE_TIMEOUT_MS = 600_000;
const PF = '0000:00:02.0';
const SIM = ['--simulate', 'adl-p'];

let home: TempHome;
let guest: TinyGuest;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-matrix-');
});
afterAll(() => home.cleanup());
afterEach(() => killVms(home.paths));

async function cli<T>(args: string[], okCodes = [0]): Promise<T> {
  const result = await runCli([...SIM, ...args], home.env);
  if (!okCodes.includes(result.code) || result.stdout === '')
    throw new Error(`tessera ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe('a matrix of two presets on a simulated ADL-P VF, through the CLI', () => {
  it(
    'runs the sample plan once per preset: records name the provisioning, the diff names the change, the definition stays',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      expect((await runCli([...SIM, 'gpu', 'vfs', PF, '3'], home.env)).code).toBe(0);
      const created = await runCli(
        [
          ...SIM,
          'vm',
          'create',
          'vf-guest',
          ...tinyGuestCreateOptions(guest, 128),
          '--gpu',
          'vf:0000:00:02.1',
        ],
        home.env,
      );
      expect(created.stderr).toBe('');
      const definitionFile = path.join(home.paths.configDir, 'vms', 'vf-guest.json');
      const definition = fs.readFileSync(definitionFile, 'utf8');
      const gpuBefore = (await cli<GpuInventory>(['gpu', 'list', '--json'])).gpus.find(
        (g) => g.address === PF,
      );
      if (!gpuBefore) throw new Error('no simulated GPU');

      // Refusals first: nothing runs, nothing changes.
      const unknown = await runCli(
        [...SIM, 'run', 'matrix', 'vf-guest', '--plan', SAMPLE_PLAN, '--vary', 'kernel=6.1'],
        home.env,
      );
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/'kernel' is not an axis a matrix can vary: the axes are preset, image/);
      const empty = await runCli(
        [...SIM, 'run', 'matrix', 'vf-guest', '--plan', SAMPLE_PLAN, '--vary', 'preset='],
        home.env,
      );
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/the list of values is empty/);
      const noImage = await runCli(
        [...SIM, 'run', 'matrix', 'vf-guest', '--plan', SAMPLE_PLAN, '--vary', 'image=nosuch'],
        home.env,
      );
      expect(noImage.stderr).toMatch(/no golden image named 'nosuch'/);

      const matrix = await cli<MatrixRecord>(
        ['run', 'matrix', 'vf-guest', '--plan', SAMPLE_PLAN, '--vary', 'preset=fair,one-big', '--json'],
        [0, 1],
      );
      expect(matrix.cells.map((c) => [c.values, c.status])).toEqual([
        [{ preset: 'fair' }, expect.stringMatching(/^(passed|failed)$/)],
        [{ preset: 'one-big' }, expect.stringMatching(/^(passed|failed)$/)],
      ]);
      expect(matrix.cells.every((c) => c.steps[0]?.name === 'shell' && c.steps[0].status === 'passed')).toBe(
        true,
      );
      const [fairId, bigId] = matrix.cells.map((c) => c.runId ?? '');

      // Each run names its cell and has the preset's shares on its VF (VF1: a third vs a half).
      for (const [runId, preset] of [
        [fairId, 'fair'],
        [bigId, 'one-big'],
      ] as const) {
        const record = await cli<RunRecord>(['run', 'show', runId ?? '', '--json']);
        expect(record.matrix).toEqual({ id: matrix.id, cell: preset === 'fair' ? 0 : 1, values: { preset } });
        expect(record.label).toBe(`preset=${preset}`);
        const ggtt = presetShares(gpuBefore, 3, preset, 'keep')[0]?.settings.ggttQuotaBytes;
        expect(ggtt).toBeGreaterThan(0);
        expect(record.host.start?.lease).toMatchObject({
          kind: 'vf',
          device: '0000:00:02.1',
          simulated: true,
        });
        expect(JSON.stringify(record.host.start?.lease?.provisioning)).toContain(`"ggtt_quota":${ggtt}`);
      }

      const diff = await cli<RunDiff>(['run', 'diff', fairId ?? '', bigId ?? '', '--json']);
      expect(diff.setup.map((s) => s.category)).toEqual(diff.setup.map(() => 'provisioning'));
      expect(diff.setup).toContainEqual({
        category: 'provisioning',
        key: 'matrix preset',
        a: 'fair',
        b: 'one-big',
      });
      expect(diff.setup.some((s) => s.key.endsWith('ggtt_quota'))).toBe(true);
      expect(diff.steps).toEqual([]);

      // The definition is byte for byte as saved; the shares are back as they were.
      expect(fs.readFileSync(definitionFile, 'utf8')).toBe(definition);
      const gpuAfter = (await cli<GpuInventory>(['gpu', 'list', '--json'])).gpus.find(
        (g) => g.address === PF,
      );
      if (!gpuAfter) throw new Error('no simulated GPU');
      expect(currentShares(gpuAfter)).toEqual(currentShares(gpuBefore));
      expect(matrix.gpu).toMatchObject({ pf: PF, vfCount: 3, restored: true });
      expect(matrix.note).toMatch(/never edited/);

      // Listed and shown, as a grid in text.
      const list = await cli<{ matrices: MatrixRecord[] }>(['run', 'matrix-list', '--json']);
      expect(list.matrices.map((m) => m.id)).toEqual([matrix.id]);
      const shown = await runCli([...SIM, 'run', 'matrix-show', matrix.id], home.env);
      expect(shown.stdout).toMatch(
        new RegExp(`^fair +(passed|failed) +\\d+/10 passed, \\d+ failed +${fairId}`, 'm'),
      );
      expect(shown.stdout).toMatch(new RegExp(`^one-big +(passed|failed) .*${bigId}`, 'm'));
    },
  );
});

describe('a matrix of two golden images', () => {
  it(
    'boots each run on a fresh overlay of its image and leaves the definition without a disk, as saved',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      const diskGuest = buildTinyGuest(`${TINY_GUEST_DIR}-disk`, { virtioDisk: true });
      const { backend, client } = await connectBackend({ paths: home.paths });
      try {
        await client.call('image.add', { path: makeGoldenSource(home.root, 8), name: 'small' });
        await client.call('image.add', { path: makeGoldenSource(home.root, 12), name: 'large' });
        await client.call('vm.create', tinyVmInput(diskGuest, 'disk-guest', 128));
        const before: VmInfo = await client.call('vm.get', { id: 'disk-guest' });
        const { id } = await client.call('run.matrixStart', {
          vm: 'disk-guest',
          vary: [{ axis: 'image', values: ['small', 'large'] }],
          label: 'boot disks',
          plan: {
            source: 'disk.json',
            text: JSON.stringify({
              version: 1,
              transport: 'serial',
              steps: [{ name: 'disk-size', exec: 'cat /sys/block/vda/size' }],
            }),
          },
        });
        const matrix = await client.call('run.matrixWait', { id });
        expect(matrix.cells.map((c) => [c.values.image, c.status])).toEqual([
          ['small', 'passed'],
          ['large', 'passed'],
        ]);
        const sizes: string[] = [];
        for (const cell of matrix.cells) {
          const record = await client.call('run.get', { id: cell.runId ?? '' });
          const disk = record.host.start?.vm.disks[0];
          expect(disk?.backing?.path).toMatch(new RegExp(`${cell.values.image ?? ''}/v1\\.qcow2$`));
          // The scratch overlay is gone once its run is done.
          expect(fs.existsSync(disk?.path ?? '')).toBe(false);
          const out = record.steps[0]?.stdout?.file ?? '';
          sizes.push(fs.readFileSync(path.join(home.paths.dataDir, 'runs', record.id, out), 'utf8').trim());
        }
        // 512-byte sectors: 8 MiB and 12 MiB.
        expect(sizes).toEqual(['16384', '24576']);
        const diff = await client.call('run.diff', {
          a: matrix.cells[0]?.runId ?? '',
          b: matrix.cells[1]?.runId ?? '',
        });
        expect(diff.setup).toContainEqual({ category: 'vm', key: 'matrix image', a: 'small', b: 'large' });
        expect((await client.call('vm.get', { id: 'disk-guest' })).spec).toEqual(before.spec);
      } finally {
        killVms(home.paths);
        await backend.close();
      }
    },
  );
});

describe('a backend killed mid-matrix', () => {
  it(
    'leaves a matrix the next backend finishes as interrupted: the cell that ran, the rest skipped, the VM stopped, the definition as saved',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      expect((await runCli([...SIM, 'gpu', 'vfs', PF, '3'], home.env)).code).toBe(0);
      await cli([
        'vm',
        'create',
        'victim',
        ...tinyGuestCreateOptions(guest, 128),
        '--gpu',
        'vf:0000:00:02.1',
        '--json',
      ]);
      const definitionFile = path.join(home.paths.configDir, 'vms', 'victim.json');
      const definition = fs.readFileSync(definitionFile, 'utf8');
      const planFile = path.join(home.root, 'slow.yaml');
      fs.writeFileSync(
        planFile,
        'version: 1\nsteps:\n  - {name: first, exec: "echo one"}\n  - {name: slow, exec: "sleep 600", timeoutS: 900}\n',
      );
      const args = [...SIM, 'run', 'matrix', 'victim', '--plan', planFile, '--vary', 'preset=fair,one-big'];
      // Killed once the first cell's run has its first step in the record.
      await killAtFirstStep(args, home.env, home.paths.dataDir, 'victim');
      const runsDir = path.join(home.paths.dataDir, 'runs');

      const { matrices } = await cli<{ matrices: MatrixRecord[] }>(['run', 'matrix-list', '--json']);
      const matrix = matrices.find((m) => m.vm === 'victim');
      expect(matrix?.status).toBe('interrupted');
      expect(matrix?.cells.map((c) => [c.values.preset, c.status])).toEqual([
        ['fair', 'interrupted'],
        ['one-big', 'skipped'],
      ]);
      expect(matrix?.cells[1]?.message).toMatch(/^the Tessera backend \(pid \d+\) ended during the matrix$/);
      expect(matrix?.note).toContain(`Interrupted: the GPU layout of ${PF} was left with preset 'fair'`);
      const { runs } = await cli<{ runs: RunSummary[] }>(['run', 'list', '--json']);
      expect(runs.filter((r) => r.vm === 'victim')).toEqual([
        expect.objectContaining({
          id: matrix?.cells[0]?.runId,
          status: 'interrupted',
          passed: 1,
          skipped: 1,
        }),
      ]);
      expect((await cli<VmInfo>(['vm', 'show', 'victim', '--json'])).state).toBe('stopped');
      expect(fs.readFileSync(definitionFile, 'utf8')).toBe(definition);
      // The scratch overlays went with the matrix.
      expect(fs.existsSync(path.join(runsDir, 'matrices', matrix?.id ?? '', 'overlays'))).toBe(false);
    },
  );
});
