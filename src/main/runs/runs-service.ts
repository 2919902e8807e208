import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';
import {
  STEP_OUTPUT_LIMIT_BYTES,
  type PlanStep,
  type RunPlan,
  type RunTransport,
} from '../../shared/run-plan';
import {
  runOutcome,
  runSummary,
  type HostSnapshot,
  type RunDiff,
  type RunOutcome,
  type RunRecord,
  type RunSummary,
  type StepResult,
} from '../../shared/run-record';
import { VmConfig, type VmInfo, type VmSpec } from '../../shared/vm-spec';
import type { ConsoleService } from '../console';
import type { GpuService } from '../gpu';
import type { HostService } from '../host';
import { vmRuntimeFiles, type TesseraPaths } from '../paths';
import type { DomainEventBus } from '../events';
import type { VmService } from '../vm';
import { AgentTransport } from './agent-transport';
import type { GuestTransport } from './guest-transport';
import { takeHostSnapshot } from './host-snapshot';
import { junitXml, type StepOutputs } from './junit';
import { OutputFile } from './output-file';
import { NOT_INSTALLED_EXIT, PROBE_COMMANDS } from './probes';
import { diffRuns, type ProbeOutputs } from './run-diff';
import { newRunId, processAlive, RECORD_FILES, RunStore, stepFile } from './run-store';
import { SerialTransport, type SerialLine } from './serial-transport';
import { writeRunArchive } from './run-archive';

/** How much of a step's output goes into junit.xml's system-out (the whole is in its file). */
const JUNIT_OUTPUT_BYTES = 64 * 1024;
/** The serial and QEMU logs copied into a record are cut at this size (a boot log is far smaller). */
const LOG_COPY_BYTES = 16 * 1024 * 1024;
/** With `auto`, how long a VM that has the agent's channel but no agent costs before the serial console is tried. */
const AUTO_AGENT_WAIT_MS = 60_000;
const STOP_TIMEOUT_S = 30;

export interface RunsServiceDeps {
  paths: TesseraPaths;
  vms: VmService;
  consoles: Pick<ConsoleService, 'serialChannel'>;
  host: HostService;
  gpu: GpuService;
  events: DomainEventBus;
  /** Most a step keeps of each stream; STEP_OUTPUT_LIMIT_BYTES unless a test asks for less. */
  outputLimitBytes?: number;
}

export type PlanSource = { path: string } | { text: string; source: string };

/** What a run of a matrix cell (run-matrix.ts) brings beyond the VM and the plan. */
export interface RunOptions {
  /** This run's spec from the definition (a fresh overlay); the definition itself is never edited. */
  variant?: (spec: VmSpec) => VmSpec;
  matrix?: NonNullable<RunRecord['matrix']>;
}

interface ActiveRun {
  record: RunRecord;
  finished: Promise<RunRecord>;
}

const isoNow = () => new Date().toISOString();

/**
 * Driver-validation runs (issue 12): a VM, a plan and the host as it is. Starts the VM when it
 * is stopped, waits for the guest on the plan's transport, runs the steps, captures the host at
 * start and end, stops the VM it started, and seals the record.
 */
export class RunsService {
  readonly store: RunStore;
  private readonly active = new Map<string, ActiveRun>();
  private readonly vmsInRun = new Map<string, string>();
  /** VMs a matrix holds between its runs: only its own cells' runs start on them. */
  private readonly vmsInMatrix = new Map<string, string>();
  private readonly outputLimit: number;

  constructor(private readonly deps: RunsServiceDeps) {
    this.store = RunStore.inDataDir(deps.paths.dataDir);
    this.outputLimit = Math.min(deps.outputLimitBytes ?? STEP_OUTPUT_LIMIT_BYTES, STEP_OUTPUT_LIMIT_BYTES);
  }

  /**
   * Records left `running` by a backend that died are finished as `interrupted` with what they
   * had; a VM such a run had started is stopped, as the run would have.
   */
  async recover(): Promise<void> {
    const { records } = await this.store.list();
    for (const record of records) {
      if (record.status !== 'running' || this.active.has(record.id)) continue;
      if (record.backendPid !== process.pid && processAlive(record.backendPid)) continue;
      const problem = `the Tessera backend (pid ${record.backendPid}) ended during the run`;
      let vm: VmInfo | undefined;
      try {
        vm = await this.deps.vms.get(record.vm);
      } catch {
        vm = undefined;
      }
      const end = vm ? await this.snapshot(record.vm).catch(() => null) : null;
      if (record.startedVm && vm && vm.state !== 'stopped' && vm.state !== 'crashed') {
        await this.deps.vms.kill(record.vm).catch(() => undefined);
      }
      await this.finish(record, { status: 'interrupted', problem, end });
    }
  }

  async start(
    vmId: string,
    source: PlanSource,
    label: string | null,
    options: RunOptions = {},
  ): Promise<{ id: string }> {
    const { plan, sourceName, text } = await this.readPlan(source);
    const vm = await this.deps.vms.get(vmId);
    const other = this.vmsInRun.get(vmId);
    if (other !== undefined)
      throw new TesseraError('CONFLICT', `VM '${vmId}' is already in run ${other}; wait for it to finish`);
    const matrix = this.vmsInMatrix.get(vmId);
    if (matrix !== undefined && options.matrix?.id !== matrix)
      throw new TesseraError('CONFLICT', `VM '${vmId}' is in matrix ${matrix}; wait for it to finish`);
    if (vm.state !== 'stopped' && vm.state !== 'crashed' && vm.state !== 'running')
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${vmId}' is ${vm.state}; a run starts from a stopped or running VM`,
      );
    if (plan.transport === 'guest-agent' && !vm.spec.guestAgent && vm.state === 'running')
      throw new TesseraError(
        'INVALID_STATE',
        `the plan asks for the guest agent, and VM '${vmId}' runs without its channel: stop the VM (the run adds the channel) or use transport: serial`,
      );
    const id = newRunId();
    this.vmsInRun.set(vmId, id);
    try {
      await this.store.create(id);
      const record: RunRecord = {
        schemaVersion: 1,
        id,
        label,
        vm: vmId,
        status: 'running',
        transport: null,
        transportNote: '',
        startedAt: isoNow(),
        finishedAt: null,
        startedVm: false,
        backendPid: process.pid,
        plan: { source: sourceName, sha256: crypto.createHash('sha256').update(text).digest('hex'), plan },
        host: { start: null, end: null },
        steps: [],
        problem: null,
        files: {
          junit: RECORD_FILES.junit,
          serialLog: RECORD_FILES.serialLog,
          qemuLog: RECORD_FILES.qemuLog,
        },
        matrix: options.matrix ?? null,
      };
      await this.save(record);
      // QEMU's process is detached and unreferenced (VMs outlive the backend), so while this run
      // waits for it to stop, a one-shot CLI backend would have nothing left holding Node's loop open.
      const keepAlive = setInterval(() => undefined, 60_000);
      const finished = this.execute(record, options.variant).finally(() => {
        clearInterval(keepAlive);
        this.active.delete(id);
        this.vmsInRun.delete(vmId);
      });
      this.active.set(id, { record, finished });
      return { id };
    } catch (error) {
      this.vmsInRun.delete(vmId);
      throw error;
    }
  }

  /** Keeps other runs (and matrices) off a VM until `release`; refused when it is in a run or a matrix. */
  holdForMatrix(vmId: string, matrixId: string): void {
    const holder = this.vmsInRun.get(vmId) ?? this.vmsInMatrix.get(vmId);
    if (holder !== undefined)
      throw new TesseraError('CONFLICT', `VM '${vmId}' is already in run ${holder}; wait for it to finish`);
    this.vmsInMatrix.set(vmId, matrixId);
  }

  releaseFromMatrix(vmId: string, matrixId: string): void {
    if (this.vmsInMatrix.get(vmId) === matrixId) this.vmsInMatrix.delete(vmId);
  }

  /** Resolves with the run's outcome once it has finished (at once for a finished one). */
  async wait(id: string): Promise<RunOutcome> {
    const active = this.active.get(id);
    return runOutcome(active ? await active.finished : await this.store.read(id));
  }

  async list(): Promise<{ runs: RunSummary[]; invalid: { id: string; reason: string }[] }> {
    const { records, invalid } = await this.store.list();
    return { runs: records.map((r) => runSummary(this.active.get(r.id)?.record ?? r)), invalid };
  }

  async get(id: string): Promise<RunRecord> {
    return this.active.get(id)?.record ?? this.store.read(id);
  }

  async diff(a: string, b: string): Promise<RunDiff> {
    const [x, y] = await Promise.all([this.store.read(a), this.store.read(b)]);
    return diffRuns(x, y, await this.probeOutputs(x), await this.probeOutputs(y));
  }

  async export(ids: string[], file: string): Promise<{ path: string; bytes: number }> {
    const records = await Promise.all(ids.map((id) => this.store.read(id)));
    const running = records.find((r) => r.status === 'running');
    if (running)
      throw new TesseraError(
        'INVALID_STATE',
        `run ${running.id} is still running; export it once it has finished`,
      );
    const target = path.resolve(file);
    const bytes = await writeRunArchive(
      target,
      records.map((r) => ({ name: r.id, dir: this.store.runDir(r.id) })),
    );
    return { path: target, bytes };
  }

  /** Every run still going is finished as interrupted by the next backend; this one only stops waiting. */
  close(): void {
    this.active.clear();
  }

  async readPlan(source: PlanSource): Promise<{ plan: RunPlan; sourceName: string; text: string }> {
    // The YAML library is loaded when a run first needs it, not by every command that runs a backend.
    const { parsePlan } = await import('./plan-file');
    if ('text' in source)
      return { plan: parsePlan(source.text, source.source), sourceName: source.source, text: source.text };
    const file = path.resolve(source.path);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      throw new TesseraError('BAD_INPUT', `cannot read the plan ${file}: ${(error as Error).message}`);
    }
    return { plan: parsePlan(text, file), sourceName: file, text };
  }

  private async save(record: RunRecord): Promise<void> {
    await this.store.write(record);
    this.deps.events.emit('run.changed', { run: runSummary(record) });
  }

  private snapshot(vmId: string, variant?: (spec: VmSpec) => VmSpec): Promise<HostSnapshot> {
    return takeHostSnapshot(this.deps, vmId, variant);
  }

  private async execute(record: RunRecord, given?: (spec: VmSpec) => VmSpec): Promise<RunRecord> {
    const { vms, events } = this.deps;
    const plan = record.plan.plan;
    const vmId = record.vm;
    let variant = given;
    let problem: string | null = null;
    let interrupted = false;
    let stopping = false;
    let transport: GuestTransport | undefined;
    // QEMU ending during the run (a crash, a power-off) interrupts it.
    const unsubscribe = events.on('vm.changed', ({ vm }) => {
      if (
        vm.id === vmId &&
        (vm.state === 'stopped' || vm.state === 'crashed') &&
        !stopping &&
        record.host.start
      ) {
        interrupted = true;
        problem ??= `QEMU ended during the run (${vm.state}${vm.lastError ? `: ${vm.lastError.message}` : ''})`;
        transport?.close();
      }
    });
    const serialStart = await fsp
      .stat(vmRuntimeFiles(this.deps.paths.runtimeDir, vmId).serialLog)
      .then((s) => s.size)
      .catch(() => 0);
    try {
      let vm = await vms.get(vmId);
      if (vm.state === 'stopped' || vm.state === 'crashed') {
        if (plan.transport === 'guest-agent' && !vm.spec.guestAgent) {
          if (given) {
            // A matrix cell's run: the channel is part of its variant, the definition is not edited.
            const before = given;
            variant = (spec) => ({ ...before(spec), guestAgent: true });
          }
          // The definition gains the channel; everything else in it stays as the user wrote it.
          else await vms.update(vmId, VmConfig.parse({ ...vm.spec, guestAgent: true }));
        }
        vm = await vms.start(vmId, variant);
        record.startedVm = true;
      }
      record.host.start = await this.snapshot(vmId, variant);
      await this.save(record);
      transport = await this.connect(record, vm);
      await this.save(record);
      let blocked: string | null = null;
      // A guest that never answered: its first step that needs the guest times out with why, the rest are skipped.
      let unanswered = transport ? null : `the guest did not answer: ${record.transportNote}`;
      for (const [index, step] of plan.steps.entries()) {
        if (interrupted) blocked = problem;
        const needsGuest = step.kind === 'exec' || step.kind === 'probe';
        let result: StepResult;
        if (blocked !== null) result = this.skipped(step, `skipped: ${blocked}`);
        else if (needsGuest && unanswered !== null) {
          result = { ...this.skipped(step, unanswered), status: 'timeout' };
          blocked = unanswered;
          problem ??= unanswered;
          unanswered = null;
        } else result = await this.runStep(record, index, step, transport);
        record.steps.push(result);
        await this.save(record);
        if (interrupted) continue;
        if (step.required && result.status !== 'passed' && blocked === null)
          blocked = `the required step '${step.name}' ${result.status === 'timeout' ? 'timed out' : 'failed'}`;
      }
    } catch (error) {
      problem ??= error instanceof Error ? error.message : String(error);
      for (const step of plan.steps.slice(record.steps.length))
        record.steps.push(this.skipped(step, `skipped: ${problem}`));
    } finally {
      transport?.close();
    }
    let end: HostSnapshot | null = null;
    try {
      end = await this.snapshot(vmId, record.startedVm ? variant : undefined);
    } catch {
      end = null;
    }
    if (record.startedVm) {
      stopping = true;
      await vms.stop(vmId, STOP_TIMEOUT_S).catch(() => undefined);
    }
    unsubscribe();
    const failed = record.steps.some((s) => s.status === 'failed' || s.status === 'timeout');
    return this.finish(
      record,
      {
        status: interrupted ? 'interrupted' : failed || problem !== null ? 'failed' : 'passed',
        problem,
        end,
      },
      // A VM the run started has a fresh serial log; a running one's log is kept from where the run began.
      record.startedVm ? 0 : serialStart,
    );
  }

  /** Chooses the transport and waits until the guest answers on it; undefined (and why, in the record) when it never does. */
  private async connect(record: RunRecord, vm: VmInfo): Promise<GuestTransport | undefined> {
    const plan = record.plan.plan;
    const readyMs = plan.readyTimeoutS * 1000;
    const runtime = vmRuntimeFiles(this.deps.paths.runtimeDir, vm.id);
    const tryTransport = async (transport: GuestTransport, timeoutMs: number): Promise<string | null> => {
      try {
        await transport.ready(timeoutMs);
        return null;
      } catch (error) {
        transport.close();
        return error instanceof Error ? error.message : String(error);
      }
    };
    const serial = async (): Promise<SerialTransport> =>
      new SerialTransport(serialLine(await this.deps.consoles.serialChannel(vm.id)));
    const use = (transport: GuestTransport, kind: RunTransport, note: string) => {
      record.transport = kind;
      record.transportNote = note;
      return transport;
    };
    if (plan.transport === 'serial' || (plan.transport === 'auto' && !vm.spec.guestAgent)) {
      const transport = await serial();
      const failure = await tryTransport(transport, readyMs);
      if (failure === null)
        return use(
          transport,
          'serial',
          plan.transport === 'serial'
            ? 'the plan asks for the serial console'
            : 'the VM has no guest agent channel',
        );
      record.transportNote = failure;
      return undefined;
    }
    const agent = new AgentTransport(runtime.guestAgent);
    const agentWait = plan.transport === 'auto' ? Math.min(readyMs, AUTO_AGENT_WAIT_MS) : readyMs;
    const agentFailure = await tryTransport(agent, agentWait);
    if (agentFailure === null)
      return use(agent, 'guest-agent', 'the QEMU guest agent answered on its virtio-serial channel');
    if (plan.transport === 'guest-agent') {
      record.transportNote = agentFailure;
      return undefined;
    }
    const transport = await serial();
    const failure = await tryTransport(transport, readyMs);
    if (failure === null) return use(transport, 'serial', `the guest agent did not answer (${agentFailure})`);
    record.transportNote = `${agentFailure}; ${failure}`;
    return undefined;
  }

  private skipped(step: PlanStep, message: string): StepResult {
    return {
      name: step.name,
      kind: step.kind,
      status: 'skipped',
      exitCode: null,
      required: step.required,
      startedAt: null,
      durationMs: 0,
      message,
      stdout: null,
      stderr: null,
    };
  }

  private async runStep(
    record: RunRecord,
    index: number,
    step: PlanStep,
    transport: GuestTransport | undefined,
  ): Promise<StepResult> {
    const started = Date.now();
    const base = {
      name: step.name,
      kind: step.kind,
      required: step.required,
      startedAt: new Date(started).toISOString(),
    };
    const done = (
      status: StepResult['status'],
      message: string | null,
      extra: Partial<StepResult> = {},
    ): StepResult => ({
      ...base,
      status,
      exitCode: null,
      message,
      stdout: null,
      stderr: null,
      ...extra,
      durationMs: Date.now() - started,
    });
    if (step.kind === 'sleep') {
      await new Promise((r) => setTimeout(r, step.sleep * 1000));
      return done('passed', null);
    }
    if (step.kind === 'wait-serial') {
      try {
        await this.deps.vms.waitSerial(record.vm, step['wait-serial'], step.timeoutS);
        return done('passed', null);
      } catch (error) {
        const timeout = error instanceof TesseraError && error.code === 'TIMEOUT';
        return done(timeout ? 'timeout' : 'failed', error instanceof Error ? error.message : String(error));
      }
    }
    if (!transport) throw new Error('a step that needs the guest ran without a transport');
    const command = step.kind === 'exec' ? step.exec : PROBE_COMMANDS[step.probe].command;
    const dir = this.store.runDir(record.id);
    const names = { stdout: stepFile(index, 'stdout'), stderr: stepFile(index, 'stderr') };
    const files = {
      stdout: new OutputFile(path.join(dir, names.stdout), names.stdout, this.outputLimit),
      stderr: new OutputFile(path.join(dir, names.stderr), names.stderr, this.outputLimit),
    };
    const end = await transport.exec(command, step.timeoutS * 1000, files);
    const stdout = await files.stdout.close();
    const stderr = await files.stderr.close();
    const captured = { stdout, stderr };
    const truncation = [stdout, stderr].some((c) => c.truncated)
      ? ` (output cut at ${this.outputLimit} bytes, marked truncated)`
      : '';
    if (end.kind === 'timeout')
      return done('timeout', `no answer within ${step.timeoutS} s; the command was interrupted`, captured);
    if (end.kind === 'lost')
      return done('failed', `the ${transport.kind} transport failed: ${end.reason}`, captured);
    const exitCode = end.exitCode;
    const result = { ...captured, exitCode };
    if (step.kind === 'probe') {
      const probe = PROBE_COMMANDS[step.probe];
      if (exitCode === NOT_INSTALLED_EXIT)
        return done('skipped', `not installed: the guest has no ${probe.what}`, result);
      return exitCode === 0
        ? done('passed', truncation ? truncation.trim() : null, result)
        : done('failed', `${probe.what} exited ${exitCode}${truncation}`, result);
    }
    if (exitCode !== step.expectExit)
      return done('failed', `exit ${exitCode}, expected ${step.expectExit}${truncation}`, result);
    const out = await this.store.readFile(record.id, names.stdout, this.outputLimit);
    if (step.mustMatch !== undefined && !new RegExp(step.mustMatch, 'm').test(out))
      return done('failed', `the output does not match /${step.mustMatch}/${truncation}`, result);
    if (step.mustNotMatch !== undefined) {
      const err = await this.store.readFile(record.id, names.stderr, this.outputLimit);
      const found = new RegExp(step.mustNotMatch, 'm').exec(`${out}\n${err}`);
      if (found)
        return done(
          'failed',
          `the output has ${JSON.stringify(found[0].slice(0, 200))}, which /${step.mustNotMatch}/ forbids`,
          result,
        );
    }
    return done('passed', truncation ? truncation.trim() : null, result);
  }

  /** The last write: logs copied in, JUnit written, the record sealed read-only. */
  private async finish(
    record: RunRecord,
    outcome: {
      status: 'passed' | 'failed' | 'interrupted';
      problem: string | null;
      end: HostSnapshot | null;
    },
    serialFrom = 0,
  ): Promise<RunRecord> {
    record.status = outcome.status;
    record.problem = outcome.problem;
    record.host.end = outcome.end;
    record.finishedAt = isoNow();
    for (const step of record.plan.plan.steps.slice(record.steps.length))
      record.steps.push(this.skipped(step, `skipped: ${outcome.problem ?? 'the run ended'}`));
    const dir = this.store.runDir(record.id);
    const runtime = vmRuntimeFiles(this.deps.paths.runtimeDir, record.vm);
    await copyTail(runtime.serialLog, path.join(dir, RECORD_FILES.serialLog), serialFrom);
    await copyTail(runtime.log, path.join(dir, RECORD_FILES.qemuLog), 0);
    const outputs: StepOutputs = new Map();
    for (const step of record.steps) {
      const read = async (c: StepResult['stdout']) =>
        c ? this.store.readFile(record.id, c.file, JUNIT_OUTPUT_BYTES) : '';
      outputs.set(step.name, { stdout: await read(step.stdout), stderr: await read(step.stderr) });
    }
    await fsp.writeFile(path.join(dir, RECORD_FILES.junit), junitXml(record, outputs), { mode: 0o600 });
    await this.store.seal(record);
    this.deps.events.emit('run.changed', { run: runSummary(record) });
    return record;
  }

  private async probeOutputs(record: RunRecord): Promise<ProbeOutputs> {
    const outputs: ProbeOutputs = new Map();
    const steps = new Map(record.plan.plan.steps.map((s) => [s.name, s]));
    for (const result of record.steps) {
      const step = steps.get(result.name);
      if (step?.kind !== 'probe' || !result.stdout) continue;
      outputs.set(result.name, {
        probe: step.probe,
        stdout: await this.store.readFile(record.id, result.stdout.file, this.outputLimit),
      });
    }
    return outputs;
  }
}

/** A console session as the serial transport wants it. */
function serialLine(channel: Awaited<ReturnType<ConsoleService['serialChannel']>>): SerialLine {
  return {
    write: (data) => void channel.write(data, false),
    start: (sink) =>
      channel.start({
        data: (chunk, release) => {
          sink.data(chunk);
          release?.();
        },
        drain: () => undefined,
        end: (reason) => sink.ended(reason),
      }),
    close: () => channel.close(),
  };
}

/** Copies `from` (from byte `offset` on, at most LOG_COPY_BYTES) into the record; a missing log leaves an empty file. */
async function copyTail(from: string, to: string, offset: number): Promise<void> {
  let data = Buffer.alloc(0);
  try {
    const handle = await fsp.open(from, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = offset <= size ? offset : 0;
      data = Buffer.alloc(Math.min(LOG_COPY_BYTES, size - start));
      await handle.read(data, 0, data.length, start);
    } finally {
      await handle.close();
    }
  } catch {
    // The VM never ran, or its runtime dir is gone: the record says so by an empty log.
  }
  await fsp.writeFile(to, data, { mode: 0o600 });
}
