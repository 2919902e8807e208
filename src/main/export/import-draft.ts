/**
 * What an import builds up before it becomes a VmCreateInput: the fields found so far and the
 * report of what became of each piece of the input. Both importers (QEMU command lines, libvirt
 * domains, whose `<qemu:commandline>` goes through the command-line reader) fill one draft.
 */
import type { z } from 'zod';
import { describeZodError, TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { ImportNote, ImportResult } from '../../shared/vm-export';
import { VM_NAME_PATTERN, VmCreateInput, type DisplaySpec, type GpuSpec } from '../../shared/vm-spec';

type Input = z.input<typeof VmCreateInput>;
type DiskInput = NonNullable<Input['disks']>[number];
type ForwardInput = NonNullable<NonNullable<Input['network']>['forwards']>[number];

/** The guest's graphics adapter as the input names it, apart from a GPU slice. */
export type VideoAdapter = 'std' | 'virtio' | 'virtio-gl' | 'none';

export interface Draft {
  name?: string;
  cpus?: number;
  cpuPinning?: number[];
  memoryMiB?: number;
  hugepages?: '2M' | '1G';
  sharedMemory?: boolean;
  kernelIrqchip?: 'on' | 'split' | 'off';
  machineType?: string;
  firmware?: 'bios' | 'uefi' | 'uefi-secure-boot';
  tpm?: boolean;
  hyperv?: boolean;
  disks: DiskInput[];
  cdrom?: string;
  kernel?: { path: string; initrd?: string; append?: string };
  network: { mode: 'user' | 'none'; model: 'virtio' | 'e1000e'; forwards: ForwardInput[] };
  /** A VF, vGPU or whole GPU; `none` when the input's device is not on this host. */
  gpu?: GpuSpec;
  video?: VideoAdapter;
  display?: DisplaySpec | { kind: 'local'; monitor?: string | null; fullScreen?: boolean; showFps?: boolean };
  restartPolicy?: 'never' | 'on-crash' | 'always';
  notes: ImportNote[];
}

export function newDraft(): Draft {
  return { disks: [], network: { mode: 'user', model: 'virtio', forwards: [] }, notes: [] };
}

export function note(draft: Draft, kind: ImportNote['kind'], source: string, detail: string, field?: string) {
  draft.notes.push(field === undefined ? { kind, source, detail } : { kind, source, field, detail });
}

/** A refusal: the input cannot become a VM, and says which part and why. */
export function refuse(source: string, why: string): never {
  throw new TesseraError('BAD_INPUT', `${source}: ${why}`, { source });
}

/** A VM name from the input's own: characters a file name cannot safely have become `-`. */
export function vmNameFrom(text: string | undefined): string {
  const cleaned = (text ?? '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 48);
  return VM_NAME_PATTERN.test(cleaned) ? cleaned : 'imported';
}

/** A second GPU slice in the input is dropped: Tessera gives a VM one. */
function hasSlice(draft: Draft, source: string): boolean {
  if (draft.gpu === undefined) return false;
  note(draft, 'dropped', source, 'Tessera gives a VM one GPU slice; the first one is kept', 'gpu');
  return true;
}

/** The input's device is not on this host: the VM gets no GPU rather than one it cannot open. */
function noGpu(draft: Draft, source: string, why: string): void {
  draft.gpu = { kind: 'none' };
  note(draft, 'changed', source, why, 'gpu');
}

/**
 * Where a PCI device of the input is on this host: a VF of one of its Intel GPUs, the GPU
 * itself, or nowhere (the input came from another machine); the GPU field is set to `none` then,
 * so the VM is never defined with a device it cannot open.
 */
export function gpuForPciDevice(
  draft: Draft,
  inventory: GpuInventory,
  address: string,
  source: string,
): void {
  if (hasSlice(draft, source)) return;
  for (const pf of inventory.gpus) {
    if (pf.address === address) {
      draft.gpu = { kind: 'passthrough', device: address };
      note(
        draft,
        'mapped',
        source,
        `the whole GPU ${address} (${pf.name}), given to the VM while it runs`,
        'gpu',
      );
      return;
    }
    const vf = pf.vfs.find((v) => v.address === address);
    if (vf) {
      draft.gpu = { kind: 'vf', pf: pf.address, vf: address };
      note(draft, 'mapped', source, `VF${vf.index} ${address} of ${pf.address} (${pf.name})`, 'gpu');
      return;
    }
  }
  noGpu(
    draft,
    source,
    `there is no Intel GPU or VF at ${address} on this host (tessera gpu list shows them), so the VM gets no GPU; choose one in the editor once it exists`,
  );
}

/** A vGPU of the input by its UUID: found on this host under its GPU and type, or none. */
export function gpuForMdev(draft: Draft, inventory: GpuInventory, uuid: string, source: string): void {
  if (hasSlice(draft, source)) return;
  for (const pf of inventory.gpus) {
    const instance = pf.mdevInstances.find((m) => m.uuid === uuid);
    if (instance?.type) {
      draft.gpu = { kind: 'mdev', parent: pf.address, type: instance.type };
      note(
        draft,
        'changed',
        source,
        `a ${instance.type} vGPU of ${pf.address}; Tessera creates it at each start under the VM's own UUID and removes it at stop`,
        'gpu',
      );
      return;
    }
  }
  noGpu(
    draft,
    source,
    `there is no vGPU ${uuid} on this host, so neither its GPU nor its type is known and the VM gets no GPU; choose a vGPU type in the editor`,
  );
}

function gpuOf(draft: Draft): GpuSpec {
  if (draft.gpu !== undefined) return draft.gpu;
  switch (draft.video) {
    case 'virtio':
      return { kind: 'virtio', gl: false };
    case 'virtio-gl':
      return { kind: 'virtio', gl: true };
    case 'none':
      return { kind: 'none' };
    default:
      return { kind: 'std' };
  }
}

/** The draft as the VM it would create, checked by the contract's own schema. */
export function finishDraft(draft: Draft, name: string | undefined): ImportResult {
  if (draft.memoryMiB === undefined)
    refuse('-m', 'the input gives the VM no memory size: add -m SIZE (for example -m 4G)');
  const gpu = gpuOf(draft);
  let display = draft.display ?? { kind: 'vnc' as const };
  if (gpu.kind === 'none' && display.kind !== 'none') {
    note(
      draft,
      'changed',
      'display',
      'a VM without a graphics adapter has no screen: display none',
      'display',
    );
    display = { kind: 'none' };
  }
  const input: Input = {
    name: name ?? vmNameFrom(draft.name),
    ...(draft.cpus !== undefined ? { cpus: draft.cpus } : {}),
    ...(draft.cpuPinning ? { cpuPinning: draft.cpuPinning } : {}),
    memoryMiB: draft.memoryMiB,
    memoryBacking: { hugepages: draft.hugepages ?? 'off', shared: draft.sharedMemory ?? false },
    machine: { kernelIrqchip: draft.kernelIrqchip ?? 'auto' },
    firmware: draft.firmware ?? 'bios',
    tpm: draft.tpm ?? false,
    hyperv: draft.hyperv ?? false,
    disks: draft.disks,
    ...(draft.cdrom !== undefined ? { cdrom: draft.cdrom } : {}),
    ...(draft.kernel ? { kernel: draft.kernel } : {}),
    network: draft.network,
    gpu,
    display,
    ...(draft.restartPolicy ? { restartPolicy: draft.restartPolicy } : {}),
  };
  const parsed = VmCreateInput.safeParse(input);
  if (!parsed.success)
    throw new TesseraError('BAD_INPUT', `the imported VM is not valid: ${describeZodError(parsed.error)}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
    });
  return { spec: parsed.data, report: draft.notes };
}
