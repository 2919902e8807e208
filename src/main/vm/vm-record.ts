/**
 * Everything the VM service knows of one VM, in one record: its state (the runner's while QEMU
 * runs, how the last run ended after), the current run and what watches it, and what the restart
 * rule keeps between runs (restart-rule.ts). VmInfo, what the fronts see, is made from it.
 */
import type { VmInfo, VmSpec, VmState } from '../../shared/vm-spec';
import type { RestartDecision } from './restart-rule';
import type { SignOfLifeWatch } from './sign-of-life';
import type { RunEnd, VmRunner } from './vm-runner';

export interface VmRecord {
  state: VmState;
  since: string;
  /** The QEMU of the current run, from spawn or re-attach until the run has ended. */
  runner?: VmRunner;
  restarts: number;
  lastError?: { message: string; logTail: string[] };
  /** When the pending restart fires, and its timer. */
  restartAt?: string;
  restartTimer?: NodeJS.Timeout;
  gaveUp?: boolean;
  /** When recent runs ended that the policy restarts after, for the give-up limit. */
  endings: number[];
  /** Of the current run, when this backend started it. */
  accelerator?: { accelerator: 'kvm' | 'tcg'; reason: string };
  warning?: string;
  /** Watches the current run for a sign of life (sign-of-life.ts). */
  watch?: SignOfLifeWatch;
  /**
   * What happens after the last run ended (the GPU slice given back, a restart planned), so a
   * stop, a delete and `close` can wait for it.
   */
  ending?: Promise<void>;
}

export function newRecord(state: VmState = 'stopped'): VmRecord {
  return { state, since: new Date().toISOString(), restarts: 0, endings: [] };
}

/** What a running VM holds besides its QEMU, read from its run's files (null when it does not run). */
export interface RunHoldings {
  gpuLease: VmInfo['gpuLease'] | null;
  usbAttached: string[] | null;
}

/** The VM as the fronts see it; what belongs to a run is shown only while it runs. */
export function vmInfoOf(spec: VmSpec, record: VmRecord, held: RunHoldings): VmInfo {
  const { runner } = record;
  const vm: VmInfo = {
    id: spec.name,
    spec,
    state: record.state,
    since: record.since,
    restarts: record.restarts,
  };
  if (runner?.pid !== undefined) vm.pid = runner.pid;
  if (held.gpuLease) vm.gpuLease = held.gpuLease;
  if (held.usbAttached) vm.usbAttached = held.usbAttached;
  if (record.lastError) vm.lastError = record.lastError;
  if (record.restartAt) vm.restartAt = record.restartAt;
  if (record.gaveUp) vm.gaveUp = true;
  if (runner && record.accelerator) vm.accelerator = record.accelerator;
  if (runner && record.warning) vm.warning = record.warning;
  return vm;
}

/** The record once its run has ended: stopped or crashed, and nothing of the run left in it. */
export function endRun(record: VmRecord, end: RunEnd): void {
  record.watch?.stop();
  delete record.watch;
  delete record.accelerator;
  delete record.warning;
  delete record.runner;
  record.state = end.clean ? 'stopped' : 'crashed';
  record.since = new Date().toISOString();
  if (!end.clean) record.lastError = { message: end.message, logTail: end.logTail };
}

/**
 * The restart rule's decision (restart-rule.ts), kept in the record: a give-up says why until
 * the VM is started by hand; a restart shows when it fires, and calls `restart` then.
 */
export function planRestart(
  record: VmRecord,
  decision: Exclude<RestartDecision, { kind: 'leave-off' }>,
  end: RunEnd,
  now: number,
  restart: () => void,
): void {
  record.endings = decision.endings;
  if (decision.kind === 'give-up') {
    record.gaveUp = true;
    record.lastError = {
      message: `${decision.message} (last: ${end.message}); start it again by hand`,
      logTail: end.logTail,
    };
    return;
  }
  record.restartAt = new Date(now + decision.delayMs).toISOString();
  record.restartTimer = setTimeout(() => {
    delete record.restartTimer;
    delete record.restartAt;
    record.restarts = decision.attempt;
    restart();
  }, decision.delayMs);
}
