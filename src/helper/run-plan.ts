/**
 * The helper as a function: one plan (JSON text) in, one result out. Everything is checked before
 * the first write; then the actions run in the kernel's order, and when one fails the ones done
 * are undone, newest first, as far as the kernel allows.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  HelperPlan,
  type AppliedStep,
  type HelperResult,
  type HelperStep,
  type HelperWrite,
} from '../shared/helper-plan';
import { describeZodError } from '../shared/errors';
import {
  PHASES,
  emptyPrediction,
  scanGroupUsers,
  type Action,
  type ActionIo,
  type CheckContext,
} from './actions';
import { checkBind, checkGrant } from './binding-actions';
import { HelperFailure } from './helper-failure';
import { openHostFiles, type HostFiles } from './host-files';
import { describeKernelError } from './kernel-messages';
import { checkCreateMdev, checkRemoveMdev } from './mdev-actions';
import { checkMemlock } from './memlock-check';
import { checkPfSpare, checkProvision, checkVfCount } from './sriov-actions';
import { checkGrantUsb } from './usb-actions';

/** Writes and ownership changes the helper makes; on this machine they are node:fs calls. */
export interface KernelWriter {
  /** Write `value` as one write(2), as `echo -n value > path` would; throws an error whose `code` is the errno. */
  write(machinePath: string, value: string): void;
  chown(machinePath: string, uid: number): void;
}

export interface HelperEnvironment {
  /** TESSERA_HOST_ROOT and PKEXEC_UID as the process got them. */
  env: Record<string, string | undefined>;
  /** This process's real uid. */
  uid: number;
  /**
   * How writes reach the host; node:fs on `/`. Another host root needs one (the simulated kernel,
   * src/simulation): the root helper has none inside it, so it changes only this machine.
   */
  writer?: KernelWriter;
}

/** Larger input is not a plan: 512 steps fit in a fraction of it. */
export const MAX_PLAN_BYTES = 1 << 20;

/** One write(2) per value, to a file that must exist: sysfs attributes are never created. */
export const realWriter: KernelWriter = {
  write(machinePath, value) {
    const fd = fs.openSync(machinePath, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  },
  chown(machinePath, uid) {
    fs.chownSync(machinePath, uid, -1);
  },
};

// Steps are checked in an order where what one changes is known to the next (counts before binds,
// vGPUs made before they are granted); each check records its effect in the prediction.
const CHECK_ORDER: Record<HelperStep['op'], number> = {
  'remove-mdev': 0,
  'set-vf-count': 1,
  'set-pf-spare': 2,
  provision: 2,
  bind: 3,
  'create-mdev': 4,
  'grant-vfio': 5,
  'set-memlock': 6,
  'grant-usb': 7,
};

function check(ctx: CheckContext, step: HelperStep, index: number): Action[] {
  switch (step.op) {
    case 'set-vf-count':
      return checkVfCount(ctx, step, index);
    case 'provision':
      return checkProvision(ctx, step, index);
    case 'set-pf-spare':
      return checkPfSpare(ctx, step, index);
    case 'bind':
      return [checkBind(ctx, step, index)];
    case 'grant-vfio':
      return [checkGrant(ctx, step, index)];
    case 'set-memlock':
      return checkMemlock(ctx, step, index);
    case 'create-mdev':
      return [checkCreateMdev(ctx, step, index)];
    case 'remove-mdev':
      return [checkRemoveMdev(ctx, step, index)];
    case 'grant-usb':
      return [checkGrantUsb(ctx, step, index)];
  }
}

function errnoOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

interface Undo {
  what: string;
  fn: (io: ActionIo) => void;
}

function makeIo(
  files: HostFiles,
  writer: KernelWriter,
  step: number | null,
  record: (write: HelperWrite) => void,
  undos: Undo[] | null,
): ActionIo {
  const fail = (code: HelperFailure['code'], message: string): never => {
    throw new HelperFailure(code, message, step);
  };
  const guard = (run: () => void, file: Parameters<ActionIo['write']>[2]) => {
    try {
      run();
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === null) throw error;
      const described = describeKernelError(errno, file);
      throw new HelperFailure(described.code, described.message, step, errno);
    }
  };
  return {
    files,
    write(hostPath, value, file) {
      guard(() => writer.write(files.machine(hostPath), value), file);
      record({ path: hostPath, value });
    },
    chown(hostPath, uid, file) {
      guard(() => writer.chown(files.machine(hostPath), uid), file);
      record({ path: hostPath, value: `owner uid ${uid}` });
    },
    undo(what, fn) {
      undos?.push({ what, fn });
    },
    fail,
  };
}

function failureOf(error: unknown): HelperFailure {
  if (error instanceof HelperFailure) return error;
  return new HelperFailure('INTERNAL', error instanceof Error ? error.message : String(error), null);
}

function refused(error: HelperFailure): Extract<HelperResult, { ok: false }> {
  return {
    ok: false,
    error: {
      code: error.code,
      message: error.message,
      step: error.step,
      ...(error.errno ? { errno: error.errno } : {}),
    },
    applied: [],
    undone: [],
    undoFailures: [],
  };
}

function apply(actions: Action[], files: HostFiles, writer: KernelWriter): HelperResult {
  const applied: AppliedStep[] = [];
  const undos: Undo[] = [];
  const ordered = [...actions].sort((a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase));
  try {
    for (const action of ordered) {
      let entry = applied.find((a) => a.step === action.step);
      if (!entry) applied.push((entry = { step: action.step, op: action.op, writes: [] }));
      const writes = entry.writes;
      action.run(makeIo(files, writer, action.step, (w) => writes.push(w), undos));
    }
    return { ok: true, applied };
  } catch (error) {
    const failure = failureOf(error);
    const undone: HelperWrite[] = [];
    const undoFailures: string[] = [];
    for (const undo of undos.reverse()) {
      try {
        undo.fn(makeIo(files, writer, failure.step, (w) => undone.push(w), null));
      } catch (undoError) {
        undoFailures.push(`${undo.what}: ${failureOf(undoError).message}`);
      }
    }
    return { ...refused(failure), applied, undone, undoFailures };
  }
}

/** Run one plan against the host root the environment names. */
export function runPlan(input: string, environment: HelperEnvironment): HelperResult {
  try {
    const { env } = environment;
    const rootDir = path.resolve(env.TESSERA_HOST_ROOT || '/');
    const pkexecUid = env.PKEXEC_UID;
    if (pkexecUid !== undefined && rootDir !== '/') {
      // pkexec runs us as root for a user; that user must not point root's writes at a tree of their choosing.
      throw new HelperFailure(
        'ROOT_REFUSED',
        `started through pkexec, the helper changes this machine (/) only, not the host root ${rootDir}`,
        null,
      );
    }
    if (pkexecUid !== undefined && !/^\d+$/.test(pkexecUid))
      throw new HelperFailure('ROOT_REFUSED', `PKEXEC_UID ${JSON.stringify(pkexecUid)} is not a uid`, null);
    if (!fs.statSync(rootDir, { throwIfNoEntry: false })?.isDirectory())
      throw new HelperFailure('BAD_TARGET', `the host root ${rootDir} is not a directory`, null);
    const writer = environment.writer ?? (rootDir === '/' ? realWriter : null);
    if (writer === null)
      throw new HelperFailure(
        'ROOT_REFUSED',
        `this helper changes this machine (/) only; plans for the simulated host ${rootDir} go to the simulated helper (out/helper/simulated.js)`,
        null,
      );
    if (Buffer.byteLength(input) > MAX_PLAN_BYTES)
      throw new HelperFailure('BAD_PLAN', `a plan is at most ${MAX_PLAN_BYTES} bytes`, null);
    let json: unknown;
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new HelperFailure('BAD_PLAN', `the plan is not JSON: ${(error as Error).message}`, null);
    }
    const parsed = HelperPlan.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0]?.path;
      const step = first?.[0] === 'steps' && typeof first[1] === 'number' ? first[1] : null;
      throw new HelperFailure('BAD_PLAN', describeZodError(parsed.error), step);
    }
    // Nothing changes while the plan is checked, so the checks may remember what they read.
    const files = openHostFiles(rootDir, { remember: true });
    let users: Map<number, number[]> | undefined;
    const ctx: CheckContext = {
      files,
      callerUid: pkexecUid === undefined ? environment.uid : Number(pkexecUid),
      prediction: emptyPrediction(),
      groupUsers: () => (users ??= scanGroupUsers(files)),
      sriovAfter: (pfAt, sriov) => ctx.prediction.counts.get(pfAt) ?? sriov.numVfs,
    };
    const steps = parsed.data.steps.map((step, index) => ({ step, index }));
    steps.sort((a, b) => CHECK_ORDER[a.step.op] - CHECK_ORDER[b.step.op]);
    const actions = steps
      .flatMap(({ step, index }) => check(ctx, step, index))
      .sort((a, b) => a.step - b.step);
    return apply(actions, openHostFiles(rootDir), writer);
  } catch (error) {
    return refused(failureOf(error));
  }
}
