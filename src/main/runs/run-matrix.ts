import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describeZodError, TesseraError } from '../../shared/errors';
import type { VfShare } from '../../shared/gpu-plan';
import { currentShares, presetShares, type SharePreset } from '../../shared/gpu-shares';
import {
  expandMatrix,
  MatrixAxes,
  MatrixRecord,
  MATRIX_SCHEMA_VERSION,
  valuesText,
  type MatrixAxis,
  type MatrixValues,
} from '../../shared/run-matrix';
import { RunId } from '../../shared/run-record';
import type { DiskSpec, VmSpec } from '../../shared/vm-spec';
import { writeFileAtomic } from '../fsutil/atomic-write';
import type { GpuService } from '../gpu';
import type { ImagesService } from '../images';
import type { DomainEventBus } from '../events';
import type { VmService } from '../vm';
import { newRunId, processAlive, readRecordDirs } from './run-store';
import type { PlanSource, RunsService } from './runs-service';

export interface RunMatrixDeps {
  runs: RunsService;
  vms: Pick<VmService, 'get'>;
  gpu: Pick<GpuService, 'inventory' | 'applyIntent'>;
  images: Pick<ImagesService, 'image' | 'bootDisk' | 'scratchOverlay'>;
  events: DomainEventBus;
  dataDir: string;
}

const isoNow = () => new Date().toISOString();

/** The note a matrix record carries while it runs: what a backend dying mid-way leaves. */
function interruptionNote(hasPreset: boolean): string {
  return [
    "The VM definition is never edited: each run starts from a per-run variant of it (the image axis' overlay), so it stays as saved whatever happens.",
    hasPreset
      ? 'The GPU layout is changed before each run by its preset; a finished matrix puts the shares it found back, an interrupted one leaves the last preset applied (gpu.sharesBefore has what was there before).'
      : 'The GPU layout is not changed.',
  ].join(' ');
}

/**
 * Run matrices (issue 12): a plan on a VM once per combination of the `--vary` axes, one run
 * after another, each a run record of its own that names its cell. The record is
 * `runs/matrices/<id>/matrix.json`, written whole at every change.
 */
export class RunMatrixService {
  private readonly dir: string;
  private readonly active = new Map<string, { record: MatrixRecord; finished: Promise<MatrixRecord> }>();

  constructor(private readonly deps: RunMatrixDeps) {
    this.dir = path.join(deps.dataDir, 'runs', 'matrices');
  }

  private file(id: string): string {
    return path.join(this.dir, RunId.parse(id), 'matrix.json');
  }

  /** Scratch overlays of a matrix's runs, each removed once its run is done. */
  private overlaysDir(id: string): string {
    return path.join(this.dir, id, 'overlays');
  }

  private overlayFile(id: string, cell: number): string {
    return path.join(this.overlaysDir(id), `cell-${cell + 1}.qcow2`);
  }

  /** Matrices a dead backend left `running`: finished as interrupted, saying how it left the GPU. */
  async recover(): Promise<void> {
    for (const record of (await this.list()).matrices) {
      if (record.status !== 'running' || this.active.has(record.id)) continue;
      if (record.backendPid !== process.pid && processAlive(record.backendPid)) continue;
      const last = [...record.cells].reverse().find((c) => c.status !== 'pending');
      const why = `the Tessera backend (pid ${record.backendPid}) ended during the matrix`;
      for (const cell of record.cells) {
        if (cell.status === 'pending' || cell.status === 'running') {
          cell.status = cell.status === 'running' ? 'interrupted' : 'skipped';
          cell.message = why;
        }
      }
      if (record.gpu && last?.values.preset)
        record.note += ` Interrupted: the GPU layout of ${record.gpu.pf} was left with preset '${last.values.preset}' (cell ${valuesText(last.values)}).`;
      record.status = 'interrupted';
      record.finishedAt = isoNow();
      await fsp.rm(this.overlaysDir(record.id), { recursive: true, force: true });
      await this.save(record);
    }
  }

  async start(
    vmId: string,
    plan: PlanSource,
    vary: { axis: string; values: string[] }[],
    label: string | null,
  ): Promise<{ id: string }> {
    const parsed = MatrixAxes.safeParse(vary);
    if (!parsed.success) throw new TesseraError('BAD_INPUT', describeZodError(parsed.error));
    const axes = parsed.data;
    const { plan: steps, sourceName, text } = await this.deps.runs.readPlan(plan);
    const vm = await this.deps.vms.get(vmId);
    if (vm.state !== 'stopped' && vm.state !== 'crashed')
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${vmId}' is ${vm.state}: a matrix starts the VM for every combination, so stop it first`,
      );
    const images = axes.find((a) => a.axis === 'image')?.values ?? [];
    for (const name of images) await this.deps.images.image(name);
    const gpu = this.gpuTarget(vm.spec, axes);
    const id = newRunId();
    const record: MatrixRecord = {
      schemaVersion: MATRIX_SCHEMA_VERSION,
      id,
      label,
      vm: vmId,
      status: 'running',
      startedAt: isoNow(),
      finishedAt: null,
      backendPid: process.pid,
      plan: {
        source: sourceName,
        sha256: crypto.createHash('sha256').update(text).digest('hex'),
        steps: steps.steps.map((s) => s.name),
      },
      axes,
      cells: expandMatrix(axes).map((values) => ({
        values,
        status: 'pending',
        runId: null,
        message: null,
        steps: [],
      })),
      gpu,
      note: interruptionNote(gpu !== null),
    };
    this.deps.runs.holdForMatrix(vmId, id);
    try {
      await this.save(record);
    } catch (error) {
      this.deps.runs.releaseFromMatrix(vmId, id);
      throw error;
    }
    // As with runs: nothing else may hold a one-shot CLI backend's loop open between two runs.
    const keepAlive = setInterval(() => undefined, 60_000);
    const finished = this.execute(record, plan).finally(() => {
      clearInterval(keepAlive);
      this.active.delete(id);
      this.deps.runs.releaseFromMatrix(vmId, id);
    });
    this.active.set(id, { record, finished });
    return { id };
  }

  async wait(id: string): Promise<MatrixRecord> {
    return (await this.active.get(id)?.finished) ?? this.get(id);
  }

  async get(id: string): Promise<MatrixRecord> {
    const active = this.active.get(id);
    if (active) return active.record;
    let text: string;
    try {
      text = await fsp.readFile(this.file(id), 'utf8');
    } catch {
      throw new TesseraError('NOT_FOUND', `no matrix '${id}': \`tessera run matrix-list\` shows them`);
    }
    return MatrixRecord.parse(JSON.parse(text));
  }

  async list(): Promise<{ matrices: MatrixRecord[]; invalid: { id: string; reason: string }[] }> {
    const { records, invalid } = await readRecordDirs(this.dir, (id) => this.get(id));
    return { matrices: records, invalid };
  }

  /**
   * The PF whose layout a preset axis changes: the one the VM's VF is on, with the VF count it has
   * now (a preset rewrites shares, never the count, so the VM's VF stays where it is).
   */
  private gpuTarget(spec: VmSpec, axes: MatrixAxis[]): MatrixRecord['gpu'] {
    if (!axes.some((a) => a.axis === 'preset')) return null;
    if (spec.gpu.kind !== 'vf')
      throw new TesseraError(
        'BAD_INPUT',
        `the preset axis sets the VF shares of the GPU the VM's VF is on, and VM '${spec.name}' has no VF (its graphics: ${spec.gpu.kind})`,
      );
    const pf = spec.gpu.pf;
    const gpu = this.deps.gpu.inventory().gpus.find((g) => g.address === pf);
    const vfCount = gpu?.sriov?.numVfs ?? 0;
    if (!gpu || vfCount === 0)
      throw new TesseraError(
        'INVALID_STATE',
        `the GPU ${pf} has no VFs for a preset to share out: make them first (tessera gpu vfs ${pf} N)`,
      );
    return { pf, vfCount, sharesBefore: currentShares(gpu), restored: false };
  }

  private async setShares(target: NonNullable<MatrixRecord['gpu']>, shares: VfShare[] | SharePreset) {
    const gpu = this.deps.gpu.inventory().gpus.find((g) => g.address === target.pf);
    if (!gpu) throw new TesseraError('NOT_FOUND', `the GPU ${target.pf} is gone`);
    await this.deps.gpu.applyIntent(
      {
        kind: 'layout',
        pf: target.pf,
        vfCount: target.vfCount,
        shares: typeof shares === 'string' ? presetShares(gpu, target.vfCount, shares, 'keep') : shares,
        bind: 'keep',
      },
      'run-matrix',
    );
  }

  /** This run's boot disk: a fresh overlay of the cell's image, or of the VM's own golden image. */
  private async variant(
    record: MatrixRecord,
    index: number,
    values: MatrixValues,
  ): Promise<((spec: VmSpec) => VmSpec) | undefined> {
    const vm = await this.deps.vms.get(record.vm);
    const boot = await this.deps.images.bootDisk(record.vm);
    const image = values.image ?? boot?.image;
    if (image === undefined) return undefined;
    const diskIndex = boot?.diskIndex ?? 0;
    const file = this.overlayFile(record.id, index);
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const overlay = await this.deps.images.scratchOverlay(image, file);
    const old = vm.spec.disks[diskIndex];
    const disk: DiskSpec = {
      path: overlay.path,
      format: 'qcow2',
      readOnly: false,
      bus: old?.bus ?? 'virtio',
      backing: overlay.backing,
    };
    return (spec) => ({
      ...spec,
      disks: spec.disks.length === 0 ? [disk] : spec.disks.map((d, i) => (i === diskIndex ? disk : d)),
    });
  }

  private async execute(record: MatrixRecord, plan: PlanSource): Promise<MatrixRecord> {
    for (const [index, cell] of record.cells.entries()) {
      try {
        if (cell.values.preset !== undefined && record.gpu)
          await this.setShares(record.gpu, cell.values.preset as SharePreset);
        const variant = await this.variant(record, index, cell.values);
        const label = `${record.label ? `${record.label}: ` : ''}${valuesText(cell.values)}`;
        const { id } = await this.deps.runs.start(record.vm, plan, label, {
          ...(variant ? { variant } : {}),
          matrix: { id: record.id, cell: index, values: cell.values },
        });
        cell.runId = id;
        cell.status = 'running';
        await this.save(record);
        const outcome = await this.deps.runs.wait(id);
        cell.status = outcome.status;
        cell.steps = outcome.steps.map((s) => ({ name: s.name, status: s.status }));
      } catch (error) {
        cell.status = 'error';
        cell.message = error instanceof Error ? error.message : String(error);
      }
      await fsp.rm(this.overlayFile(record.id, index), { force: true });
      await this.save(record);
    }
    if (record.gpu) {
      try {
        await this.setShares(record.gpu, record.gpu.sharesBefore);
        record.gpu.restored = true;
        record.note += ` Finished: the VF shares of ${record.gpu.pf} were put back as they were before the matrix.`;
      } catch (error) {
        record.note += ` The VF shares of ${record.gpu.pf} could not be put back (${error instanceof Error ? error.message : String(error)}): the last preset is still applied.`;
      }
    }
    record.status = record.cells.every((c) => c.status === 'passed') ? 'passed' : 'failed';
    record.finishedAt = isoNow();
    await fsp.rm(this.overlaysDir(record.id), { recursive: true, force: true });
    await this.save(record);
    return record;
  }

  private async save(record: MatrixRecord): Promise<void> {
    await fsp.mkdir(path.dirname(this.file(record.id)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file(record.id), JSON.stringify(record, null, 2) + '\n');
    this.deps.events.emit('run.matrixChanged', { id: record.id, status: record.status });
  }
}
