/**
 * Which device a step names, checked before anything is written: it exists (or the plan makes it),
 * it is an Intel display-class PF, or a VF that its PF lists as its own.
 */
import {
  findPfOfFutureVf,
  isIntelDisplay,
  readPci,
  readSriov,
  type PciFacts,
  type SriovFacts,
} from './device-facts';
import type { CheckContext } from './actions';
import { HelperFailure } from './helper-failure';

export interface PfTarget {
  pf: PciFacts;
  sriov: SriovFacts | null;
}

export interface VfTarget {
  pf: PciFacts;
  sriov: SriovFacts;
  index: number;
  address: string;
  /** The VF as it is now; null when the plan creates it. */
  now: PciFacts | null;
}

const refuse = (step: number, message: string): never => {
  throw new HelperFailure('BAD_TARGET', message, step);
};

function requireIntelDisplay(fn: PciFacts, step: number): void {
  if (fn.brokenLink !== null) refuse(step, `${fn.brokenLink}: this is not a device as the kernel shows one`);
  if (!isIntelDisplay(fn)) {
    refuse(
      step,
      `${fn.address} is not an Intel display device (it is ${fn.vendor ?? '?'}:${fn.classCode ?? '?'}); the helper changes Intel GPUs only`,
    );
  }
}

export function findPf(ctx: CheckContext, address: string, step: number): PfTarget {
  const pf = readPci(ctx.files, address);
  if (pf === null) return refuse(step, `there is no PCI device ${address}`);
  requireIntelDisplay(pf, step);
  if (pf.pfAt !== null || pf.strayVf) return refuse(step, `${address} is a VF; this step needs its PF`);
  return { pf, sriov: readSriov(ctx.files, pf.at) };
}

export function findVf(ctx: CheckContext, address: string, step: number): VfTarget {
  const now = readPci(ctx.files, address);
  if (now !== null) {
    requireIntelDisplay(now, step);
    if (now.strayVf) return refuse(step, `${address} names a PF that does not list it as its VF`);
    if (now.pfAt === null || now.index === null) return refuse(step, `${address} is a PF, not a VF`);
    const { pf, sriov } = findPf(ctx, now.pfAt.slice(now.pfAt.lastIndexOf('/') + 1), step);
    if (sriov === null) return refuse(step, `${pf.address} shows no SR-IOV attributes`);
    return { pf, sriov, index: now.index, address, now };
  }
  const future = findPfOfFutureVf(ctx.files, address);
  if (future === null)
    return refuse(step, `there is no VF ${address}, and no Intel GPU here can have one there`);
  return { pf: future.pf, sriov: future.sriov, index: future.index, address, now: null };
}

/** The VF exists when the step runs: now, or because the plan enables enough VFs. */
export function requireVfExists(ctx: CheckContext, vf: VfTarget, step: number): void {
  const count = ctx.sriovAfter(vf.pf.at, vf.sriov);
  if (vf.index > count) {
    refuse(
      step,
      `VF${vf.index} (${vf.address}) of ${vf.pf.address} will not exist: the GPU will have ${count} VF${count === 1 ? '' : 's'}`,
    );
  }
}

/** A step may change a device once; two steps on one device would undo each other's checks. */
export function nameOnce(ctx: CheckContext, key: string, step: number): void {
  const earlier = ctx.prediction.named.get(key);
  if (earlier !== undefined)
    throw new HelperFailure('BAD_PLAN', `steps ${earlier} and ${step} both change ${key}`, step);
  ctx.prediction.named.set(key, step);
}

/** Refuse to take a VF, a PF or a vGPU from a running guest (its group node is open). */
export function requireUnused(ctx: CheckContext, group: number | null, what: string, step: number): void {
  if (group === null) return;
  const pids = ctx.groupUsers().get(group);
  if (pids !== undefined && pids.length > 0) {
    throw new HelperFailure(
      'IN_USE',
      `${what} is in use: process ${pids.join(', ')} holds /dev/vfio/${group} open (a running VM); stop it first`,
      step,
    );
  }
}
