/** `create-mdev` and `remove-mdev`: GVT-g vGPUs through the mdev core (docs/sriov-sysfs.md#gvt-g-types, #gvt-g-instances). */
import path from 'node:path';
import type { HelperStep } from '../shared/helper-plan';
import type { Action, CheckContext } from './actions';
import { deviceDir } from './device-facts';
import { HelperFailure } from './helper-failure';
import { fileIn } from './host-files';
import { findPf, nameOnce, requireUnused } from './targets';

export interface MdevTarget {
  uuid: string;
  /** `<parent>/<uuid>`, canonical. */
  at: string;
  parentAt: string;
  /** Type directory name (`i915-GVTg_V5_4`). */
  type: string;
  iommuGroup: number | null;
}

/** A vGPU that exists: /sys/bus/mdev/devices/<uuid> leads into an Intel GPU's directory (docs/sriov-sysfs.md#gvt-g-instances). */
export function findMdev(ctx: CheckContext, uuid: string, step: number): MdevTarget {
  const at = ctx.files.real(`/sys/bus/mdev/devices/${uuid}`);
  const parentAt = at === null ? null : path.posix.dirname(at);
  const parent = parentAt === null ? null : path.posix.basename(parentAt);
  if (at === null || parentAt === null || parent === null || path.posix.basename(at) !== uuid)
    throw new HelperFailure('BAD_TARGET', `there is no vGPU ${uuid}`, step);
  if (deviceDir(ctx.files, parent) !== parentAt)
    throw new HelperFailure('BAD_TARGET', `vGPU ${uuid} is not under a PCI device`, step);
  findPf(ctx, parent, step);
  const typeDir = ctx.files.inside(`${at}/mdev_type`, `${parentAt}/mdev_supported_types`);
  const group = ctx.files.inside(`${at}/iommu_group`, '/sys/kernel/iommu_groups');
  if (typeDir === null || path.posix.dirname(typeDir) !== `${parentAt}/mdev_supported_types`)
    throw new HelperFailure('BAD_TARGET', `vGPU ${uuid} names no type of its GPU`, step);
  return {
    uuid,
    at,
    parentAt,
    type: path.posix.basename(typeDir),
    iommuGroup: group === null ? null : Number(path.posix.basename(group)),
  };
}

export function checkCreateMdev(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'create-mdev' }>,
  index: number,
): Action {
  const { pf } = findPf(ctx, step.parent, index);
  const typeDir = `${pf.at}/mdev_supported_types/${step.type}`;
  const create = fileIn(ctx.files, `${typeDir}/create`, typeDir);
  if (ctx.files.inside(typeDir, pf.at) !== typeDir || create === null)
    throw new HelperFailure('BAD_TARGET', `${step.parent} offers no vGPU type ${step.type}`, index);
  if (ctx.files.real(`/sys/bus/mdev/devices/${step.uuid}`) !== null)
    throw new HelperFailure('BAD_TARGET', `a vGPU ${step.uuid} exists already`, index);
  nameOnce(ctx, `vGPU ${step.uuid}`, index);
  // docs/sriov-sysfs.md#gvt-g-types: `available_instances` is what the GPU's graphics memory and fences still allow.
  const available = Number(ctx.files.read(`${typeDir}/available_instances`)?.trim() ?? '0');
  const wanted = (ctx.prediction.createsPerType.get(typeDir) ?? 0) + 1;
  if (!(wanted <= available))
    throw new HelperFailure(
      'OUT_OF_RANGE',
      `${step.parent} has room for ${available} more ${step.type} vGPU${available === 1 ? '' : 's'}, and the plan makes ${wanted}`,
      index,
    );
  ctx.prediction.createsPerType.set(typeDir, wanted);
  ctx.prediction.createdMdevs.set(step.uuid, pf.at);
  return {
    step: index,
    op: 'create-mdev',
    phase: 'create-mdev',
    run(io) {
      io.write(create, step.uuid, { kind: 'mdev_create', type: step.type, uuid: step.uuid });
      io.undo(`remove vGPU ${step.uuid}`, (u) => {
        const remove = fileIn(u.files, `${pf.at}/${step.uuid}/remove`, `${pf.at}/${step.uuid}`);
        if (remove === null) return u.fail('BAD_TARGET', `vGPU ${step.uuid} has no remove file`);
        u.write(remove, '1', { kind: 'mdev_remove', uuid: step.uuid });
      });
    },
  };
}

export function checkRemoveMdev(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'remove-mdev' }>,
  index: number,
): Action {
  const mdev = findMdev(ctx, step.uuid, index);
  const remove = fileIn(ctx.files, `${mdev.at}/remove`, mdev.at);
  if (remove === null) throw new HelperFailure('BAD_TARGET', `vGPU ${step.uuid} has no remove file`, index);
  requireUnused(ctx, mdev.iommuGroup, `vGPU ${step.uuid}`, index);
  nameOnce(ctx, `vGPU ${step.uuid}`, index);
  ctx.prediction.removedMdevs.add(step.uuid);
  const typeDir = `${mdev.parentAt}/mdev_supported_types/${mdev.type}`;
  return {
    step: index,
    op: 'remove-mdev',
    phase: 'remove-mdev',
    run(io) {
      io.write(remove, '1', { kind: 'mdev_remove', uuid: step.uuid });
      io.undo(`create vGPU ${step.uuid} again`, (u) => {
        const create = fileIn(u.files, `${typeDir}/create`, typeDir);
        if (create === null) return u.fail('BAD_TARGET', `${typeDir}/create is gone`);
        u.write(create, step.uuid, { kind: 'mdev_create', type: mdev.type, uuid: step.uuid });
      });
    },
  };
}
