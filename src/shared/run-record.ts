/**
 * A run's record (`$XDG_DATA_HOME/tessera/runs/<id>/run.json`) and what is derived from it: the
 * summary `tessera run start --json` prints and the diff of two runs. The record is versioned:
 * a reader refuses a schemaVersion it does not know instead of misreading it.
 */
import { z } from 'zod';
import { HostIdentity, MicrocontrollerState, ProvisioningValues } from './gpu-inventory';
import { RunPlan, RunTransport } from './run-plan';
import { GpuLeaseInfo, VmName, VmSpec } from './vm-spec';

export const RUN_RECORD_SCHEMA_VERSION = 1;

/** `20261202T010203Z-1a2b3c`: sorts by start time, unique without a lock. */
export const RunId = z
  .string()
  .regex(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/, { error: 'a run id looks like 20261202T010203Z-1a2b3c' });

export const RunStatus = z.enum(['running', 'passed', 'failed', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;
export const StepStatus = z.enum(['passed', 'failed', 'skipped', 'timeout']);
export type StepStatus = z.infer<typeof StepStatus>;

/** One captured stream of a step: its file in the record, its size, and whether it was cut. */
export const CapturedOutput = z.object({
  file: z.string(),
  bytes: z.int().min(0),
  truncated: z.boolean(),
});
export type CapturedOutput = z.infer<typeof CapturedOutput>;

export const StepResult = z.object({
  name: z.string(),
  kind: z.enum(['exec', 'wait-serial', 'probe', 'sleep']),
  status: StepStatus,
  /** The command's exit code; null when it has none (timeout, skipped, not an exec). */
  exitCode: z.int().nullable(),
  required: z.boolean(),
  startedAt: z.iso.datetime().nullable(),
  durationMs: z.number().min(0),
  /** Why it failed or was skipped, in words ("not installed in the guest", "exit 3, expected 0"). */
  message: z.string().nullable(),
  stdout: CapturedOutput.nullable(),
  stderr: CapturedOutput.nullable(),
});
export type StepResult = z.infer<typeof StepResult>;

/** A fact read from the host, or why it could not be read (never a guess). */
const Fact = z.union([z.object({ value: z.string() }), z.object({ unreadable: z.string() })]);
export type Fact = z.infer<typeof Fact>;

export const HostGpuSnapshot = z.object({
  address: z.string(),
  name: z.string(),
  platform: z.string().nullable(),
  driver: z.string().nullable(),
  /** `/sys/module/<driver>/version` (or `srcversion` where the module has no version). */
  moduleVersion: Fact,
  guc: MicrocontrollerState,
  huc: MicrocontrollerState,
});

/** What the host and Tessera were when a run started (and again when it ended). */
export const HostSnapshot = z.object({
  takenAt: z.iso.datetime(),
  host: HostIdentity,
  kernelRelease: Fact,
  kernelCmdline: Fact,
  gpus: z.array(HostGpuSnapshot),
  /** The GPU slice the VM held, with its provisioning values as the driver showed them. */
  lease: GpuLeaseInfo.extend({ provisioning: ProvisioningValues.nullable() }).nullable(),
  qemu: z.object({ binary: z.string(), version: Fact, argv: z.array(z.string()).nullable() }),
  tesseraVersion: z.string(),
  vm: VmSpec,
  /**
   * Per-VF engine activity: only where the host driver exposes it (xe's PMU with a function
   * field); otherwise why not. Never a made-up number.
   */
  engineActivity: z.object({ available: z.boolean(), detail: z.string() }),
});
export type HostSnapshot = z.infer<typeof HostSnapshot>;

export const RunRecord = z.object({
  schemaVersion: z.literal(RUN_RECORD_SCHEMA_VERSION),
  id: RunId,
  label: z.string().nullable(),
  vm: VmName,
  status: RunStatus,
  /** Which transport ran the steps; null when the guest never answered on any. */
  transport: RunTransport.nullable(),
  /** Why that transport (the agent did not answer, the plan asked for serial, ...). */
  transportNote: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  /** The run started the VM (and so stopped it at the end). */
  startedVm: z.boolean(),
  /** The backend that ran it; a later backend finds a `running` record of a dead one and finishes it. */
  backendPid: z.int(),
  plan: z.object({ source: z.string(), sha256: z.string(), plan: RunPlan }),
  host: z.object({ start: HostSnapshot.nullable(), end: HostSnapshot.nullable() }),
  steps: z.array(StepResult),
  /** Why the run ended early, when it did (QEMU died, the backend died, the guest never answered). */
  problem: z.string().nullable(),
  files: z.object({ junit: z.string(), serialLog: z.string(), qemuLog: z.string() }),
  /**
   * The matrix this run is a cell of, and the cell's values (`preset`, `image`): what this run's
   * setup was given beyond the VM definition. Null for a run of its own (and in older records).
   */
  matrix: z
    .object({ id: RunId, cell: z.int().min(0), values: z.record(z.string(), z.string()) })
    .nullable()
    .default(null),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** What `tessera run start --json` prints (issue 12, exactly this shape). */
export const RunOutcome = z.object({
  id: RunId,
  status: z.enum(['passed', 'failed', 'interrupted']),
  transport: RunTransport.nullable(),
  steps: z.array(z.object({ name: z.string(), status: StepStatus, exitCode: z.int().nullable() })),
});
export type RunOutcome = z.infer<typeof RunOutcome>;

export const RunSummary = z.object({
  id: RunId,
  label: z.string().nullable(),
  vm: z.string(),
  status: RunStatus,
  transport: RunTransport.nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  simulated: z.boolean(),
  passed: z.int(),
  failed: z.int(),
  skipped: z.int(),
  timeout: z.int(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const DiffCategory = z.enum(['host', 'firmware', 'driver', 'provisioning', 'qemu', 'vm', 'tessera']);
export const RunDiff = z.object({
  a: RunSummary,
  b: RunSummary,
  /** Host, firmware, driver, provisioning and QEMU-line differences, in that order. */
  setup: z.array(
    z.object({ category: DiffCategory, key: z.string(), a: z.string().nullable(), b: z.string().nullable() }),
  ),
  /** Steps whose status or exit code changed, or that only one run has. */
  steps: z.array(
    z.object({
      name: z.string(),
      a: z.object({ status: StepStatus, exitCode: z.int().nullable() }).nullable(),
      b: z.object({ status: StepStatus, exitCode: z.int().nullable() }).nullable(),
    }),
  ),
  /** Lines of probe output that only one run has. */
  probes: z.array(z.object({ step: z.string(), onlyA: z.array(z.string()), onlyB: z.array(z.string()) })),
});
export type RunDiff = z.infer<typeof RunDiff>;

export function runOutcome(record: RunRecord): RunOutcome {
  return {
    id: record.id,
    status: record.status === 'running' ? 'interrupted' : record.status,
    transport: record.transport,
    steps: record.steps.map((s) => ({ name: s.name, status: s.status, exitCode: s.exitCode })),
  };
}

export function runSummary(record: RunRecord): RunSummary {
  const count = (status: StepStatus) => record.steps.filter((s) => s.status === status).length;
  return {
    id: record.id,
    label: record.label,
    vm: record.vm,
    status: record.status,
    transport: record.transport,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    simulated: record.host.start?.host.simulated != null,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    timeout: count('timeout'),
  };
}
