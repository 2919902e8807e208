import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MatrixRecord } from '../../shared/run-matrix';
import type { RunOutcome } from '../../shared/run-record';
import type { VmInfo } from '../../shared/vm-spec';
import { EventBus } from '../rpc/dispatcher';
import { RunMatrixService, type RunMatrixDeps } from './run-matrix';
import type { RunOptions } from './runs-service';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const PLAN = { version: 1 as const, transport: 'serial' as const, readyTimeoutS: 300, steps: [] };

/** A matrix service over fakes: runs that pass at once, a VM on plain graphics, images A and B. */
function service(options: { state?: VmInfo['state']; failImage?: string } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-matrix-unit-'));
  dirs.push(dataDir);
  const started: { label: string | null; options: RunOptions }[] = [];
  const held: string[] = [];
  let n = 0;
  const deps = {
    dataDir,
    events: new EventBus(),
    runs: {
      readPlan: async () => ({ plan: { ...PLAN, steps: [] }, sourceName: 'p.yaml', text: 'x' }),
      start: async (_vm: string, _plan: unknown, label: string | null, o: RunOptions) => {
        started.push({ label, options: o });
        return { id: `20261202T0100${String(n++).padStart(2, '0')}Z-aaaaaa` };
      },
      wait: async (id: string): Promise<RunOutcome> => ({
        id,
        status: 'passed',
        transport: 'serial',
        steps: [{ name: 's', status: 'passed', exitCode: 0 }],
      }),
      holdForMatrix: (vm: string) => void held.push(vm),
      releaseFromMatrix: (vm: string) => void held.splice(held.indexOf(vm), 1),
    },
    vms: {
      get: async () =>
        ({
          id: 'g',
          state: options.state ?? 'stopped',
          spec: { name: 'g', gpu: { kind: 'std' }, disks: [] },
        }) as unknown as VmInfo,
    },
    gpu: { inventory: () => ({ gpus: [] }), applyIntent: async () => null },
    images: {
      image: async (name: string) => {
        if (name !== 'A' && name !== 'B') throw new Error(`no golden image named '${name}'`);
        return {};
      },
      bootDisk: async () => null,
      scratchOverlay: async (image: string, file: string) => {
        if (image === options.failImage) throw new Error(`image ${image} changed on disk`);
        fs.writeFileSync(file, 'overlay');
        return {
          path: file,
          backing: { path: `/images/${image}/v1.qcow2`, format: 'qcow2' as const },
          version: 1,
        };
      },
    },
  } as unknown as RunMatrixDeps;
  return { matrices: new RunMatrixService(deps), started, held, dataDir };
}

const plan = { text: 'x', source: 'p.yaml' };

describe('RunMatrixService', () => {
  it('runs each image on its own overlay, removed after its run, and releases the VM', async () => {
    const { matrices, started, held } = service();
    const { id } = await matrices.start('g', plan, [{ axis: 'image', values: ['A', 'B'] }], 'boot');
    expect(held).toEqual(['g']);
    const record = await matrices.wait(id);
    expect(record.status).toBe('passed');
    expect(record.cells.map((c) => [c.values, c.status, c.steps])).toEqual([
      [{ image: 'A' }, 'passed', [{ name: 's', status: 'passed' }]],
      [{ image: 'B' }, 'passed', [{ name: 's', status: 'passed' }]],
    ]);
    expect(started.map((s) => [s.label, s.options.matrix?.cell])).toEqual([
      ['boot: image=A', 0],
      ['boot: image=B', 1],
    ]);
    const spec = started[1]?.options.variant?.({ name: 'g', disks: [] } as never);
    expect(spec?.disks[0]?.backing?.path).toBe('/images/B/v1.qcow2');
    expect(fs.existsSync(spec?.disks[0]?.path ?? '')).toBe(false);
    expect(held).toEqual([]);
    expect(await matrices.get(id)).toEqual(record);
  });

  it('a combination whose setup is refused is an error, the others still run', async () => {
    const { matrices } = service({ failImage: 'A' });
    const { id } = await matrices.start('g', plan, [{ axis: 'image', values: ['A', 'B'] }], null);
    const record = await matrices.wait(id);
    expect(record.cells.map((c) => [c.status, c.message])).toEqual([
      ['error', 'image A changed on disk'],
      ['passed', null],
    ]);
    expect(record.status).toBe('failed');
  });

  it('refuses bad axes, unknown images, a preset without a VF and a running VM before anything runs', async () => {
    const { matrices, started } = service();
    await expect(matrices.start('g', plan, [{ axis: 'cpu', values: ['2'] }], null)).rejects.toThrow(
      /'cpu' is not an axis a matrix can vary: the axes are preset, image/,
    );
    await expect(matrices.start('g', plan, [{ axis: 'image', values: ['C'] }], null)).rejects.toThrow(
      /no golden image named 'C'/,
    );
    await expect(matrices.start('g', plan, [{ axis: 'preset', values: ['fair'] }], null)).rejects.toThrow(
      /VM 'g' has no VF \(its graphics: std\)/,
    );
    await expect(
      service({ state: 'running' }).matrices.start('g', plan, [{ axis: 'image', values: ['A'] }], null),
    ).rejects.toThrow(/VM 'g' is running: a matrix starts the VM for every combination/);
    expect(started).toEqual([]);
    expect((await matrices.list()).matrices).toEqual([]);
  });

  it("finishes a dead backend's matrix as interrupted, saying how it left the GPU layout", async () => {
    const { matrices, dataDir } = service();
    const id = '20261202T010000Z-bbbbbb';
    const dir = path.join(dataDir, 'runs', 'matrices', id);
    fs.mkdirSync(path.join(dir, 'overlays'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'overlays', 'cell-2.qcow2'), 'left over');
    const cell = (preset: string, image: string, status: MatrixRecord['cells'][number]['status']) => ({
      values: { preset, image },
      status,
      runId: status === 'pending' ? null : '20261202T010001Z-cccccc',
      message: null,
      steps: [],
    });
    const record: MatrixRecord = {
      schemaVersion: 1,
      id,
      label: null,
      vm: 'g',
      status: 'running',
      startedAt: '2026-12-02T01:00:00.000Z',
      finishedAt: null,
      // No process has this pid (above the kernel's pid_max limit of 2^22).
      backendPid: 2 ** 22 + 1,
      plan: { source: 'p', sha256: 'x', steps: [] },
      axes: [
        { axis: 'preset', values: ['fair', 'one-big'] },
        { axis: 'image', values: ['A', 'B'] },
      ],
      cells: [
        cell('fair', 'A', 'passed'),
        cell('fair', 'B', 'passed'),
        cell('one-big', 'A', 'running'),
        cell('one-big', 'B', 'pending'),
      ],
      gpu: { pf: '0000:00:02.0', vfCount: 3, sharesBefore: [], restored: false },
      note: 'before.',
    };
    fs.writeFileSync(path.join(dir, 'matrix.json'), JSON.stringify(record));
    await matrices.recover();
    const after = await matrices.get(id);
    expect(after.status).toBe('interrupted');
    expect(after.cells.map((c) => c.status)).toEqual(['passed', 'passed', 'interrupted', 'skipped']);
    expect(after.note).toMatch(
      /the GPU layout of 0000:00:02.0 was left with preset 'one-big' \(cell preset=one-big image=A\)/,
    );
    expect(fs.existsSync(path.join(dir, 'overlays'))).toBe(false);
  });
});
