import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { TesseraError, type ErrorCode } from '../../shared/errors';
import type { Gpu, GpuInventory, HostIdentity } from '../../shared/gpu-inventory';
import {
  GpuIntent,
  type ChangeLogEntry,
  type ChangeOrigin,
  type GpuPersistence,
  type PlanPreview,
  type SavedLayout,
} from '../../shared/gpu-plan';
import { currentShares } from '../../shared/gpu-shares';
import { vfAddress } from '../../shared/pci-address';
import type {
  AppliedStep,
  HelperErrorCode,
  HelperPlan,
  HelperResult,
  HelperStep,
} from '../../shared/helper-plan';
import { describeZodError } from '../../shared/errors';
import type { HostRoot } from '../fsutil/host-root';
import type { DomainEventBus } from '../events';
import { bootConfigLines } from './boot-config';
import type { ChangeLog } from './change-log';
import type { HelperClient } from './helper-client';
import { readGpuInventory, withHolders } from './inventory';
import type { LayoutStore } from './layout-store';
import { buildPlan } from './plan-builder';

export interface AppliedChange {
  applied: AppliedStep[];
  entry: ChangeLogEntry;
}

/** The gpu domain's one service: what other domains and the contract handlers use. */
export interface GpuService {
  /** Read afresh every time: VFs come and go with writes to sysfs. */
  inventory(): GpuInventory;
  /** The plan and the diff for what the user asks, against the GPU as it is now. */
  plan(intent: GpuIntent): PlanPreview;
  /**
   * Apply a plan through the helper (one prompt on a real host), log it, tell every front.
   * Plans run one at a time. Throws a TesseraError when the helper refused or failed; the log
   * says what was undone.
   */
  apply(plan: HelperPlan, origin: ChangeOrigin, summary?: string): Promise<AppliedChange>;
  /** Plan and apply in one go (VM start uses this for its VF, vGPU and /dev/vfio). */
  applyIntent(intent: GpuIntent, origin: ChangeOrigin): Promise<AppliedChange | null>;
  log(): Promise<ChangeLogEntry[]>;
  persistence(): Promise<GpuPersistence>;
  setReapplyAtStart(enabled: boolean): Promise<GpuPersistence>;
  /** At start, when asked for: make the saved layouts again (VFs do not survive a reboot). */
  reapplySavedLayouts(): Promise<void>;
}

export interface GpuServiceDeps {
  root: HostRoot;
  host: HostIdentity;
  helper: HelperClient;
  changes: ChangeLog;
  layouts: LayoutStore;
  events: DomainEventBus;
  user?: string;
  /** Which VM holds each VF and vGPU (the VM domain's leases), so plans leave them alone. */
  holders?: () => ReadonlyMap<string, string>;
}

const ERROR_CODES: Record<HelperErrorCode, ErrorCode> = {
  BAD_PLAN: 'BAD_INPUT',
  BAD_TARGET: 'BAD_INPUT',
  OUT_OF_RANGE: 'BAD_INPUT',
  IN_USE: 'CONFLICT',
  HOST_DISPLAY: 'CONFLICT',
  BUSY: 'CONFLICT',
  ROOT_REFUSED: 'INVALID_STATE',
  UNSUPPORTED: 'INVALID_STATE',
  KERNEL: 'IO',
  INTERNAL: 'INTERNAL',
};

function outcome(result: HelperResult): ChangeLogEntry['result'] {
  if (result.ok) return 'applied';
  if (result.applied.every((a) => a.writes.length === 0)) return 'failed';
  return result.undoFailures.length === 0 ? 'rolled-back' : 'partly-rolled-back';
}

/** The PFs a plan changes the layout of: their VF count, VF shares or VF drivers. */
function layoutPfs(plan: HelperPlan, inventory: GpuInventory): string[] {
  const pfs = new Set<string>();
  const pfOf = (address: string) =>
    inventory.gpus.find((g) => g.address === address || g.vfs.some((v) => v.address === address))?.address;
  for (const step of plan.steps) {
    const address =
      step.op === 'set-vf-count'
        ? step.pf
        : step.op === 'provision'
          ? step.vf
          : step.op === 'bind'
            ? step.device
            : null;
    const pf = address === null ? undefined : pfOf(address);
    if (pf !== undefined) pfs.add(pf);
  }
  return [...pfs];
}

/** A GPU's layout as it is now: the count, each VF's share, each VF's driver. */
function currentLayout(gpu: Gpu): SavedLayout {
  return {
    pf: gpu.address,
    vfCount: gpu.sriov?.numVfs ?? 0,
    shares: currentShares(gpu),
    drivers: Object.fromEntries(gpu.vfs.map((v) => [String(v.index), v.driver])),
    savedAt: new Date().toISOString(),
  };
}

export function createGpuService(deps: GpuServiceDeps): GpuService {
  const { root, host, helper, changes, layouts, events } = deps;
  const user = deps.user ?? os.userInfo().username;
  let queue: Promise<unknown> = Promise.resolve();
  let startup: string | null = null;
  const inventory = () => withHolders(readGpuInventory(root, host), deps.holders?.() ?? new Map());

  const parseIntent = (intent: GpuIntent) => {
    const parsed = GpuIntent.safeParse(intent);
    if (!parsed.success) throw new TesseraError('BAD_INPUT', describeZodError(parsed.error));
    return parsed.data;
  };

  async function applyNow(plan: HelperPlan, origin: ChangeOrigin, summary: string): Promise<AppliedChange> {
    const before = inventory();
    const result = await helper.run(plan);
    const writes = result.applied.reduce((n, a) => n + a.writes.length, 0);
    const entry: ChangeLogEntry = {
      id: randomUUID(),
      at: new Date().toISOString(),
      user,
      origin,
      host: host.root,
      summary,
      steps: plan.steps.length,
      writes,
      result: outcome(result),
      error: result.ok
        ? null
        : `${result.error.message}${result.undoFailures.length ? `; not undone: ${result.undoFailures.join('; ')}` : ''}`,
    };
    await changes.append(entry);
    if (result.ok) {
      const after = inventory();
      const touched = layoutPfs(plan, before);
      const now = touched.flatMap((pf) => after.gpus.filter((g) => g.address === pf).map(currentLayout));
      if (now.length > 0)
        await layouts.update((file) => ({
          ...file,
          layouts: [...file.layouts.filter((l) => !touched.includes(l.pf)), ...now],
        }));
    }
    events.emit('gpu.changed', { entry });
    if (!result.ok) {
      const undone = result.undoFailures.length
        ? ` Could not undo: ${result.undoFailures.join('; ')}.`
        : result.undone.length
          ? ' What was done before it has been undone.'
          : '';
      throw new TesseraError(ERROR_CODES[result.error.code], `${result.error.message}.${undone}`, result);
    }
    return { applied: result.applied, entry };
  }

  const service: GpuService = {
    inventory,
    plan: (intent) => buildPlan(inventory(), parseIntent(intent), randomUUID),
    apply(plan, origin, summary) {
      const run = queue.then(() => applyNow(plan, origin, summary ?? `${plan.steps.length} GPU change(s)`));
      queue = run.catch(() => undefined);
      return run;
    },
    async applyIntent(intent, origin) {
      const preview = service.plan(intent);
      return preview.plan === null ? null : service.apply(preview.plan, origin, preview.summary);
    },
    log: () => changes.list(),
    async persistence() {
      const file = await layouts.read();
      return {
        reapplyAtStart: file.reapplyAtStart,
        layouts: file.layouts,
        bootConfig: bootConfigLines(inventory(), file.layouts),
        startup,
      };
    },
    async setReapplyAtStart(enabled) {
      await layouts.update((file) => ({ ...file, reapplyAtStart: enabled }));
      return service.persistence();
    },
    async reapplySavedLayouts() {
      const file = await layouts.read();
      if (!file.reapplyAtStart || file.layouts.length === 0) return;
      try {
        const steps: HelperStep[] = [];
        for (const saved of file.layouts) {
          const preview = service.plan({
            kind: 'layout',
            pf: saved.pf,
            vfCount: saved.vfCount,
            shares: saved.shares,
          });
          steps.push(...(preview.plan?.steps ?? []));
          const gpu = inventory().gpus.find((g) => g.address === saved.pf);
          if (!gpu?.sriov) continue;
          const { offset, stride, numVfs } = gpu.sriov;
          for (const [index, driver] of Object.entries(saved.drivers)) {
            const vf = gpu.vfs.find((v) => v.index === Number(index));
            // VFs made again come up with no driver; ones that stay keep theirs.
            if (driver === null || (numVfs === saved.vfCount && vf?.driver === driver)) continue;
            const address = vfAddress(saved.pf, Number(index), offset ?? 1, stride ?? 1);
            if (address === null) continue;
            steps.push({ op: 'bind', device: address, driver: driver === 'vfio-pci' ? 'vfio-pci' : 'host' });
          }
        }
        if (steps.length === 0) {
          startup = 'The saved GPU layouts were already in place.';
          return;
        }
        await service.apply({ version: 1, steps }, 'startup', 'the saved GPU layout, made again at start');
        startup = 'The saved GPU layouts were made again at start.';
      } catch (error) {
        startup = `The saved GPU layouts could not be made again: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  };
  return service;
}
