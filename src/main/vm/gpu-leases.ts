import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { ChangeOrigin } from '../../shared/gpu-plan';
import type { HelperPlan, HelperStep } from '../../shared/helper-plan';
import type { DoctorCheck } from '../../shared/host-report';
import { GpuLeaseInfo, type VmSpec } from '../../shared/vm-spec';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { withProcessLock } from '../fsutil/process-lock';
import type { GpuAttachment } from './gpu-attachment';
import { resolveGpuPlacement, type GpuPlacement } from './gpu-placement';
import { readStateFileSync } from '../fsutil/state-file';
import { ensureRuntimeDir, ensureVmRuntimeDir } from '../fsutil/private-dir';

const LEASE_FILE = 'gpu-lease.json';
/** The name of the lock that serialises GPU changes for VMs across this user's processes. */
const LOCK_NAME_FILE = '.gpu-leases.lock-name';
const LOCK_WAIT_MS = 20_000;

/** `<runtimeDir>/<vm>/gpu-lease.json`: what a run holds, so a stop or a later backend gives back exactly that. */
const LeaseFile = GpuLeaseInfo.extend({
  vm: z.string(),
  /** The driver the device had before the lease (`i915`, `xe`, `vfio-pci`, null); stop puts it back. */
  originalDriver: z.string().nullable(),
});
type LeaseFile = z.infer<typeof LeaseFile>;

export interface GpuLeases extends GpuAttachment {
  /** Which VM holds each device, by VF address or vGPU UUID, from the lease files. */
  holders(): Map<string, string>;
}

export interface GpuLeaseDeps {
  /**
   * The gpu service: plans go through it, so they are logged and every front hears of them; its
   * inventory names the holders this module reports.
   */
  gpu: {
    inventory(): GpuInventory;
    apply(plan: HelperPlan, origin: ChangeOrigin, summary: string): Promise<unknown>;
  };
  /** `$XDG_RUNTIME_DIR/tessera`: every VM's runtime dir is under it, and the lock file. */
  runtimeDir: string;
  /** The host is a simulated tree: QEMU gets a virtual GPU in the slice's place. */
  simulated: boolean;
  /** The doctor's locked-memory check for a guest of this size (this process's limit, which QEMU inherits). */
  memlockFor(guestMiB: number): DoctorCheck;
}

const lockOptions = {
  waitMs: LOCK_WAIT_MS,
  timeout: () =>
    new TesseraError(
      'CONFLICT',
      `another Tessera process has been preparing a GPU for a VM for ${LOCK_WAIT_MS / 1000} s: try again (its lock goes when that process ends)`,
    ),
};

function readLease(dir: string): LeaseFile | null {
  try {
    const parsed = LeaseFile.safeParse(JSON.parse(readStateFileSync(path.join(dir, LEASE_FILE))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A slice a lease can hold: a VF, a vGPU or a whole GPU. */
export type SlicePlacement = Extract<GpuPlacement, { kind: 'vf' | 'mdev' | 'passthrough' }>;

/**
 * The helper steps that take a VM's GPU slice at start (issue 6), pure so the script export
 * (src/main/export/script-export.ts) writes the same: the vGPU is created, or the device is moved
 * to vfio-pci unless it is there; then its /dev/vfio group goes to the user.
 */
export function leaseSteps(
  spec: VmSpec,
  placement: SlicePlacement,
  inventory: GpuInventory,
): { device: string; originalDriver: string | null; steps: HelperStep[] } {
  const device = placement.kind === 'mdev' ? placement.uuid : placement.address;
  const fn =
    placement.kind === 'mdev'
      ? undefined
      : inventory.gpus.flatMap((g) => [g, ...g.vfs]).find((f) => f.address === device);
  const originalDriver = fn?.driver ?? null;
  const steps: HelperStep[] = [];
  if (spec.gpu.kind === 'mdev') {
    steps.push({ op: 'create-mdev', parent: spec.gpu.parent, type: spec.gpu.type, uuid: device });
  } else if (originalDriver !== 'vfio-pci') {
    // Passthrough was consented to when the VM was defined with the whole GPU.
    steps.push({
      op: 'bind',
      device,
      driver: 'vfio-pci',
      ...(placement.kind === 'passthrough' ? { takeHostDisplay: true as const } : {}),
    });
  }
  steps.push({ op: 'grant-vfio', device });
  return { device, originalDriver, steps };
}

/** The steps that give a slice back at stop: exactly what the lease took. */
export function giveBackSteps(lease: Pick<LeaseFile, 'kind' | 'device' | 'originalDriver'>): HelperStep[] {
  if (lease.kind === 'mdev') return [{ op: 'remove-mdev', uuid: lease.device }];
  if (lease.originalDriver === 'vfio-pci') return [];
  return [{ op: 'bind', device: lease.device, driver: lease.originalDriver === null ? 'none' : 'host' }];
}

/**
 * The lease manager: the start/stop sequence of a VM's GPU slice through the helper (issue 6).
 * One helper plan per start (one prompt at most), one lock across VMs so two never get the same
 * VF, and a lease file in the VM's runtime dir so stop, crash and a restarted backend give back
 * exactly what was taken.
 */
export function helperGpuLeases(deps: GpuLeaseDeps): GpuLeases {
  const { gpu, runtimeDir, simulated } = deps;
  let queue: Promise<unknown> = Promise.resolve();
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    // The lock's secret name lives in the runtime dir: only in a dir that is ours is it a secret.
    const run = queue.then(async () => {
      await ensureRuntimeDir(runtimeDir);
      return withProcessLock(path.join(runtimeDir, LOCK_NAME_FILE), lockOptions, fn);
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const leases = (): LeaseFile[] => {
    let names: string[];
    try {
      names = fs.readdirSync(runtimeDir);
    } catch {
      return [];
    }
    return names.flatMap((n) => readLease(path.join(runtimeDir, n)) ?? []);
  };

  const holders = () => new Map(leases().map((l) => [l.device, l.vm]));

  const preview = (spec: VmSpec) => resolveGpuPlacement(spec, gpu.inventory());

  /** What QEMU gets: on a simulated host no such device exists, so a virtual GPU stands in. */
  const spawned = (placement: GpuPlacement): GpuPlacement =>
    simulated && (placement.kind === 'vf' || placement.kind === 'mdev' || placement.kind === 'passthrough')
      ? { kind: 'virtio', renderNode: null }
      : placement;

  async function take(spec: VmSpec, dir: string): Promise<GpuPlacement> {
    const inventory = gpu.inventory();
    const placement = resolveGpuPlacement(spec, inventory);
    if (placement.kind !== 'vf' && placement.kind !== 'mdev' && placement.kind !== 'passthrough')
      return placement;
    // docs/sriov-sysfs.md#unprivileged-qemu-with-vfio: vfio pins all guest RAM. The helper cannot raise the limit of a QEMU not yet running
    // (set-memlock is refused by design), so a start that would fail in QEMU is refused here.
    // On a simulated host QEMU gets a virtual GPU and pins nothing.
    const memlock = simulated ? null : deps.memlockFor(spec.memoryMiB);
    if (memlock !== null && memlock.status === 'warn')
      throw new TesseraError(
        'UNAVAILABLE',
        `${memlock.summary} ${memlock.fix ?? ''} ${memlock.commands.join('; ')}`.trim(),
      );
    const device = placement.kind === 'mdev' ? placement.uuid : placement.address;
    const holder = leases().find((l) => l.device === device);
    if (holder && holder.vm !== spec.name)
      throw new TesseraError(
        'CONFLICT',
        `${device} is in use by VM '${holder.vm}': stop that VM first, or give '${spec.name}' another GPU`,
      );
    const { originalDriver, steps } = leaseSteps(spec, placement, inventory);
    await gpu.apply({ version: 1, steps }, 'vm', `${device} for VM '${spec.name}'`);
    const lease: LeaseFile = { vm: spec.name, kind: placement.kind, device, simulated, originalDriver };
    try {
      await ensureVmRuntimeDir(dir);
      await writeFileAtomic(path.join(dir, LEASE_FILE), JSON.stringify(lease));
    } catch (error) {
      await giveBack(lease, dir);
      throw error;
    }
    return placement;
  }

  async function giveBack(lease: LeaseFile, dir: string): Promise<void> {
    const steps = giveBackSteps(lease);
    try {
      if (steps.length > 0)
        await gpu.apply({ version: 1, steps }, 'vm', `${lease.device} back from VM '${lease.vm}'`);
    } finally {
      // The VM no longer holds it either way; a failed give-back is in the change log.
      await fsp.rm(path.join(dir, LEASE_FILE), { force: true });
    }
  }

  return {
    preview,
    holders,
    async attach(spec, dir) {
      return spawned(await locked(() => take(spec, dir)));
    },
    async detach(_spec, dir) {
      const lease = readLease(dir);
      if (lease === null) return;
      await locked(() => giveBack(lease, dir)).catch(() => {
        // Recorded in the GPU change log; the VM has ended whatever the helper said.
      });
    },
    held(_spec, dir) {
      const lease = readLease(dir);
      return lease === null ? null : { kind: lease.kind, device: lease.device, simulated: lease.simulated };
    },
  };
}
