/**
 * GVT-g vGPUs through the mdev core (docs/sriov-sysfs.md#gvt-g): `create` in a type directory makes an instance,
 * its `remove` takes it away, and `available_instances` follows what is left of the graphics
 * memory and fences.
 */
import path from 'node:path';
import { fail } from './kernel-parse';
import { IOMMU_GROUPS, addToIommuGroup, addVfioNode, nextIommuGroup, removeFromIommuGroup } from './pci-tree';
import type { SimTree } from './sim-tree';

export const MDEV_DEVICES = '/sys/bus/mdev/devices';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** docs/sriov-sysfs.md#gvt-g-instances: the instance under its parent, reachable from the bus and from its type's `devices/`. */
export function addMdevInstance(
  tree: SimTree,
  parentAt: string,
  typeId: string,
  uuid: string,
  iommuGroup: number,
  vgpuId: number,
): void {
  const at = `${parentAt}/${uuid}`;
  const typeDir = `${parentAt}/mdev_supported_types/${typeId}`;
  tree.file(`${at}/remove`, '', 0o200);
  tree.link(`${at}/mdev_type`, typeDir);
  tree.link(`${typeDir}/devices/${uuid}`, at);
  tree.link(`${MDEV_DEVICES}/${uuid}`, at);
  tree.link(`${at}/driver`, '/sys/bus/mdev/drivers/intel_vgpu_mdev');
  tree.file(`${at}/intel_vgpu/vgpu_id`, `${vgpuId}\n`, 0o444);
  // An emulated IOMMU group: /dev/vfio/<N> appears for it (docs/sriov-sysfs.md#gvt-g-instances).
  addToIommuGroup(tree, at, uuid, iommuGroup);
  addVfioNode(tree, iommuGroup);
}

interface TypeState {
  id: string;
  low: number;
  high: number;
  fence: number;
  available: number;
  instances: number;
}

function typeStates(tree: SimTree, parentAt: string): TypeState[] {
  const dir = `${parentAt}/mdev_supported_types`;
  return tree.list(dir).flatMap((id) => {
    const description = tree.read(`${dir}/${id}/description`) ?? '';
    const field = (name: string) =>
      Number(description.match(new RegExp(`^${name}: (\\d+)`, 'm'))?.[1] ?? NaN);
    const state = {
      id,
      low: field('low_gm_size'),
      high: field('high_gm_size'),
      fence: field('fence'),
      available: Number(tree.read(`${dir}/${id}/available_instances`)?.trim() ?? NaN),
      instances: tree.list(`${dir}/${id}/devices`).length,
    };
    const positive = [state.low, state.high, state.fence].every((n) => Number.isInteger(n) && n > 0);
    return positive && Number.isInteger(state.available) && state.available >= 0 ? [state] : [];
  });
}

/**
 * The parent's graphics memory and fences. The kernel knows them; sysfs shows only what each type
 * could still get (docs/sriov-sysfs.md#gvt-g-types: the minimum over the three). So the first time, they are derived from
 * the tree (free is at least what the most demanding type's `available_instances` needs, the
 * instances hold the rest) and kept in the tree beside the kernel's other hidden state, so later
 * changes count from the same totals.
 */
function totals(tree: SimTree, parentAt: string, types: TypeState[]): Totals {
  const file = `/.tessera-kernel/gvt/${path.posix.basename(parentAt)}.json`;
  const kept = tree.read(file);
  if (kept !== null) return JSON.parse(kept) as Totals;
  const sum = (pick: (t: TypeState) => number) =>
    Math.max(0, ...types.map((t) => t.available * pick(t))) +
    types.reduce((n, t) => n + t.instances * pick(t), 0);
  const derived = { low: sum((t) => t.low), high: sum((t) => t.high), fence: sum((t) => t.fence) };
  tree.file(file, JSON.stringify(derived));
  return derived;
}

interface Totals {
  low: number;
  high: number;
  fence: number;
}

function updateAvailable(tree: SimTree, parentAt: string, total: Totals): void {
  const types = typeStates(tree, parentAt);
  const used = (pick: (t: TypeState) => number) => types.reduce((n, t) => n + t.instances * pick(t), 0);
  const free = {
    low: total.low - used((t) => t.low),
    high: total.high - used((t) => t.high),
    fence: total.fence - used((t) => t.fence),
  };
  for (const t of types) {
    const count = Math.max(
      0,
      Math.min(
        Math.floor(free.low / t.low),
        Math.floor(free.high / t.high),
        Math.floor(free.fence / t.fence),
      ),
    );
    tree.update(`${parentAt}/mdev_supported_types/${t.id}/available_instances`, `${count}\n`);
  }
}

/** `create` (docs/sriov-sysfs.md#gvt-g-types): 36 characters plus an optional newline; a duplicate is EEXIST. */
export function createMdev(tree: SimTree, parentAt: string, typeId: string, value: string): void {
  const text = value.length === 37 && value.endsWith('\n') ? value.slice(0, 36) : value;
  if (text.length !== 36 || !UUID.test(text)) fail('EINVAL', `${JSON.stringify(value)} is not a UUID`);
  const uuid = text.toLowerCase();
  if (tree.exists(`${MDEV_DEVICES}/${uuid}`)) fail('EEXIST', `an mdev ${uuid} exists already`);
  const types = typeStates(tree, parentAt);
  const type = types.find((t) => t.id === typeId);
  // Exhaustion surfaces as a probe error; ENOSPC from the GM allocator is UNCONFIRMED (docs/sriov-sysfs.md#gvt-g-types).
  if (type === undefined || type.available < 1) fail('ENOSPC', `no room for another ${typeId}`);
  const total = totals(tree, parentAt, types);
  const ids = tree
    .list(parentAt)
    .filter((e) => UUID.test(e))
    .map((e) => Number(tree.read(`${parentAt}/${e}/intel_vgpu/vgpu_id`)?.trim() ?? 0));
  addMdevInstance(tree, parentAt, typeId, uuid, nextIommuGroup(tree), Math.max(0, ...ids) + 1);
  updateAvailable(tree, parentAt, total);
}

/** `remove` (docs/sriov-sysfs.md#gvt-g-instances): a non-zero number removes the instance; anything else but 0 is EINVAL. */
export function removeMdev(tree: SimTree, instanceAt: string, value: string): void {
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  if (!/^[+-]?\d+$/.test(body)) fail('EINVAL', `${JSON.stringify(value)} is not a number`);
  if (Number(body) === 0) return;
  const uuid = path.posix.basename(instanceAt);
  const parentAt = path.posix.dirname(instanceAt);
  const total = totals(tree, parentAt, typeStates(tree, parentAt));
  const typeDir = tree.resolve(`${instanceAt}/mdev_type`);
  const group = tree.resolve(`${instanceAt}/iommu_group`);
  removeFromIommuGroup(tree, instanceAt, uuid);
  if (group !== null && !tree.exists(`${IOMMU_GROUPS}/${path.posix.basename(group)}`))
    tree.remove(`/dev/vfio/${path.posix.basename(group)}`);
  if (typeDir !== null) tree.remove(`${typeDir}/devices/${uuid}`);
  tree.remove(`${MDEV_DEVICES}/${uuid}`);
  tree.remove(instanceAt);
  updateAvailable(tree, parentAt, total);
}
