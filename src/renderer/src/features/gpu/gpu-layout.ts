import type { Gpu } from '../../../../shared/gpu-inventory';

/** How a box is coloured: who holds the function (host driver, vfio for VMs, nobody) or what it is. */
export type Tone = 'host' | 'vfio' | 'unbound' | 'other' | 'mdev' | 'type' | 'more' | 'vm';

export interface PictureNode {
  /** A PCI address, an mdev UUID, `<pf>/<type>` for a vGPU type, `vm:<name>`, or `<pf>/more`. */
  id: string;
  /** Test id from identity (`gpu-<bdf>`); null for boxes that are only text. */
  testId: string | null;
  selectable: boolean;
  tone: Tone;
  x: number;
  y: number;
  lines: string[];
  /** What a screen reader says for the box. */
  label: string;
}

export interface PictureEdge {
  from: string;
  to: string;
  path: string;
}

export interface Picture {
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  nodes: PictureNode[];
  edges: PictureEdge[];
}

const NODE_W = 236;
const NODE_H = 68;
const GAP_Y = 14;
const COLUMN_X = [0, 316, 632] as const;

function driverTone(driver: string | null): Tone {
  if (driver === null) return 'unbound';
  if (driver === 'vfio-pci') return 'vfio';
  return driver === 'i915' || driver === 'xe' ? 'host' : 'other';
}

function edge(a: PictureNode, b: PictureNode): PictureEdge {
  const x1 = a.x + NODE_W;
  const y1 = a.y + NODE_H / 2;
  const x2 = b.x;
  const y2 = b.y + NODE_H / 2;
  const mid = (x1 + x2) / 2;
  return { from: a.id, to: b.id, path: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}` };
}

/**
 * The picture of one GPU: the PF on the left, its VFs (or vGPU types and instances) in the middle,
 * the VMs using them on the right. Pure, so the layout is tested without a browser.
 */
export function layoutGpu(gpu: Gpu): Picture {
  const middle: Omit<PictureNode, 'x' | 'y'>[] = [];
  for (const vf of gpu.vfs) {
    const driver = vf.driver ?? 'unbound';
    const group = vf.iommuGroup === null ? '' : ` · group ${vf.iommuGroup}`;
    middle.push({
      id: vf.address,
      testId: `gpu-${vf.address}`,
      selectable: true,
      tone: driverTone(vf.driver),
      lines: [
        `VF${vf.index} · ${vf.usedBy === null ? 'free' : `used by ${vf.usedBy}`}`,
        vf.address,
        `${driver}${group}`,
      ],
      label: `VF${vf.index} ${vf.address}, ${driver}${vf.usedBy === null ? ', free' : `, used by ${vf.usedBy}`}`,
    });
  }
  if (gpu.sriov && gpu.sriov.totalVfs > gpu.sriov.numVfs) {
    const more = gpu.sriov.totalVfs - gpu.sriov.numVfs;
    middle.push({
      id: `${gpu.address}/more`,
      testId: null,
      selectable: false,
      tone: 'more',
      lines: [`${more} more VF${more === 1 ? '' : 's'} possible`, `driver allows ${gpu.sriov.totalVfs}`],
      label: `${more} more VFs possible`,
    });
  }
  for (const type of gpu.mdevTypes) {
    const id = `${gpu.address}/${type.id}`;
    middle.push({
      id,
      testId: `gpu-mdev-type-${type.id}`,
      selectable: true,
      tone: 'type',
      lines: [
        type.id,
        `${type.availableInstances ?? '?'} free · ${type.instances.length} created`,
        type.resources?.resolution ?? '',
      ],
      label: `vGPU type ${type.id}, ${type.availableInstances ?? 'unknown'} free`,
    });
    for (const uuid of type.instances) {
      const instance = gpu.mdevInstances.find((m) => m.uuid === uuid);
      const usedBy = instance?.usedBy ?? null;
      middle.push({
        id: uuid,
        testId: `gpu-mdev-${uuid}`,
        selectable: true,
        tone: 'mdev',
        lines: [`vGPU · ${usedBy === null ? 'free' : `used by ${usedBy}`}`, uuid.slice(0, 18) + '…', type.id],
        label: `vGPU ${uuid} of type ${type.id}`,
      });
    }
  }
  const users = [
    ...new Set([...gpu.vfs.map((v) => v.usedBy), ...gpu.mdevInstances.map((m) => m.usedBy)]),
  ].filter((u): u is string => u !== null);
  const rows = Math.max(middle.length, users.length, 1);
  const height = rows * NODE_H + (rows - 1) * GAP_Y;
  const place = (count: number, i: number) =>
    (height - (count * NODE_H + (count - 1) * GAP_Y)) / 2 + i * (NODE_H + GAP_Y);

  const driver = gpu.driver ?? 'no driver';
  const what = gpu.sriov
    ? `${gpu.sriov.numVfs} of ${gpu.sriov.totalVfs} VFs`
    : gpu.mdevTypes.length > 0
      ? `${gpu.mdevTypes.length} vGPU types`
      : 'not split';
  const pf: PictureNode = {
    id: gpu.address,
    testId: `gpu-${gpu.address}`,
    selectable: true,
    tone: driverTone(gpu.driver),
    x: COLUMN_X[0],
    y: place(1, 0),
    lines: [gpu.name, gpu.address, `${driver} · ${what}`],
    label: `${gpu.name} ${gpu.address}, ${driver}, ${what}`,
  };
  const functions = middle.map((n, i) => ({ ...n, x: COLUMN_X[1], y: place(middle.length, i) }));
  const vms: PictureNode[] = users.map((name, i) => ({
    id: `vm:${name}`,
    testId: `gpu-vm-${name}`,
    selectable: false,
    tone: 'vm',
    x: COLUMN_X[2],
    y: place(users.length, i),
    lines: [name, 'VM'],
    label: `VM ${name}`,
  }));
  const byId = new Map([pf, ...functions, ...vms].map((n) => [n.id, n]));
  const edges: PictureEdge[] = functions.map((f) => edge(pf, f));
  const userOf = (id: string) =>
    gpu.vfs.find((v) => v.address === id)?.usedBy ??
    gpu.mdevInstances.find((m) => m.uuid === id)?.usedBy ??
    null;
  for (const f of functions) {
    const user = userOf(f.id);
    const vm = user === null ? undefined : byId.get(`vm:${user}`);
    if (vm) edges.push(edge(f, vm));
  }
  return {
    width: COLUMN_X[2] + NODE_W,
    height,
    nodeWidth: NODE_W,
    nodeHeight: NODE_H,
    nodes: [pf, ...functions, ...vms],
    edges,
  };
}
