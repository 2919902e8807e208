/**
 * A checked plan is a list of actions: each knows its step, its place in the kernel's order, and
 * how to make its writes through an `ActionIo` that records them and what undoes them.
 */
import type { HelperOp } from '../shared/helper-plan';
import type { SriovFacts } from './device-facts';
import type { HelperFailure } from './helper-failure';
import type { HostFiles } from './host-files';
import type { WrittenFile } from './kernel-messages';

/**
 * The kernel's order (docs/sriov-sysfs.md#writing-sriov_numvfs, #driver-binding, #i915-auto-provisioning): vGPUs go first (they hold GPU memory); VF
 * counts are set to 0 before anything else changes; PFs change drivers while they have no VFs;
 * resources are given back before they are taken; VFs are enabled after their shares are
 * written (so the driver uses them, docs/sriov-sysfs.md#i915-auto-provisioning); VFs are bound once they exist; vGPUs are made; then
 * device nodes are handed to the user.
 */
export const PHASES = [
  'remove-mdev',
  'disable-vfs',
  'bind-pf',
  'give-back',
  'take',
  'enable-vfs',
  'bind-vf',
  'create-mdev',
  'grant-vfio',
] as const;
export type Phase = (typeof PHASES)[number];

export interface ActionIo {
  readonly files: HostFiles;
  /** Write to a canonical host path as one write(2); a kernel error stops the plan, described for `file`. */
  write(hostPath: string, value: string, file: WrittenFile): void;
  chown(hostPath: string, uid: number, file: WrittenFile): void;
  /** Say how to undo what was just done; undos run newest first. */
  undo(what: string, fn: (io: ActionIo) => void): void;
  fail(code: HelperFailure['code'], message: string): never;
}

export interface Action {
  step: number;
  op: HelperOp;
  phase: Phase;
  run(io: ActionIo): void;
}

/** What the plan will have changed by the time a later step runs, so each step is checked against it. */
export interface Prediction {
  /** VF count per PF directory after the plan's `set-vf-count`. */
  counts: Map<string, number>;
  /** Driver per PCI address after the plan's binds (`null`: none). */
  drivers: Map<string, string | null>;
  /** vGPUs the plan creates (uuid → parent directory) and removes. */
  createdMdevs: Map<string, string>;
  removedMdevs: Set<string>;
  /** `create` writes per type directory, against `available_instances`. */
  createsPerType: Map<string, number>;
  /** Targets already named by a step, so no device is changed twice by one plan. */
  named: Map<string, number>;
}

export function emptyPrediction(): Prediction {
  return {
    counts: new Map(),
    drivers: new Map(),
    createdMdevs: new Map(),
    removedMdevs: new Set(),
    createsPerType: new Map(),
    named: new Map(),
  };
}

/** Facts the checks share: the files, the caller, and which IOMMU groups a process holds open. */
export interface CheckContext {
  files: HostFiles;
  callerUid: number;
  prediction: Prediction;
  /** Processes holding `/dev/vfio/<group>` open, by group (read once per plan). */
  groupUsers(): Map<number, number[]>;
  /** The SR-IOV state a PF will be in when a step runs. */
  sriovAfter(pfAt: string, sriov: SriovFacts): number;
}

/**
 * A process using a VF or a vGPU holds its group node open: QEMU keeps `/dev/vfio/<group>` open
 * while the guest runs (docs/sriov-sysfs.md#vfio-device-nodes, #unprivileged-qemu-with-vfio). On a simulated host, a link `proc/<pid>/fd/<n> -> /dev/vfio/<group>`
 * in the tree stands for that open file.
 */
export function scanGroupUsers(files: HostFiles): Map<number, number[]> {
  const users = new Map<number, number[]>();
  for (const pid of files.list('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    for (const fd of files.list(`/proc/${pid}/fd`)) {
      const group = files.linkText(`/proc/${pid}/fd/${fd}`)?.match(/^\/dev\/vfio\/(\d+)$/)?.[1];
      if (group === undefined) continue;
      const list = users.get(Number(group)) ?? [];
      if (!list.includes(Number(pid))) list.push(Number(pid));
      users.set(Number(group), list);
    }
  }
  return users;
}
