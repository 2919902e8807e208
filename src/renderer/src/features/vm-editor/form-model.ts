import type { z } from 'zod';
import { WINDOWS11_PROFILE } from '../../../../shared/vm-presets';
import {
  VmConfig,
  VmCreateInput,
  type DiskSpec,
  type DisplayKind,
  type DisplaySpec,
  type GpuKind,
  type GpuSpec,
  type PortForward,
  type VmSpec,
} from '../../../../shared/vm-spec';
import type { FieldIssue } from '../../stores/failure';

export interface DiskRow {
  path: string;
  format: DiskSpec['format'];
  readOnly: boolean;
  bus: DiskSpec['bus'];
}

/**
 * The GPU as the inputs hold it: every kind's fields at once, so switching kinds and back keeps
 * what was chosen. `vf` is empty for "any free VF of this GPU".
 */
export interface GpuForm {
  kind: GpuKind;
  gl: boolean;
  pf: string;
  vf: string;
  parent: string;
  type: string;
  device: string;
}

/** The display as the inputs hold it; `monitor` is empty for "wherever the window manager puts it". */
export interface DisplayForm {
  kind: DisplayKind;
  monitor: string;
  fullScreen: boolean;
  showFps: boolean;
  hostInput: boolean;
}

/** Ports stay text while typed, so "80" can pass through "8" and an empty box is not a zero. */
export interface ForwardRow {
  protocol: PortForward['protocol'];
  hostAddress: PortForward['hostAddress'];
  hostPort: string;
  guestPort: string;
}

/** The editor's state: what the inputs hold, which is not yet a VmConfig. */
export interface VmForm {
  name: string;
  cpus: string;
  memoryMiB: string;
  /** Host CPUs, comma-separated; empty when the vCPUs are not pinned. */
  cpuPinning: string;
  hugepages: VmConfig['memoryBacking']['hugepages'];
  sharedMemory: boolean;
  kernelIrqchip: VmConfig['machine']['kernelIrqchip'];
  firmware: VmConfig['firmware'];
  tpm: boolean;
  hyperv: boolean;
  restartPolicy: VmConfig['restartPolicy'];
  gpu: GpuForm;
  display: DisplayForm;
  disks: DiskRow[];
  cdrom: string;
  kernel: string;
  initrd: string;
  append: string;
  networkMode: VmConfig['network']['mode'];
  nicModel: VmConfig['network']['model'];
  forwards: ForwardRow[];
  /** Host USB devices, one selector per row (port path or vendor:product[:serial]). */
  usb: string[];
  /** Evdev nodes the VM takes whole, one per row. */
  evdev: string[];
}

const NO_GPU_FIELDS: Omit<GpuForm, 'kind'> = { gl: false, pf: '', vf: '', parent: '', type: '', device: '' };

function gpuForm(gpu: GpuSpec): GpuForm {
  const form: GpuForm = { ...NO_GPU_FIELDS, kind: gpu.kind };
  if (gpu.kind === 'virtio') form.gl = gpu.gl;
  if (gpu.kind === 'vf') Object.assign(form, { pf: gpu.pf, vf: gpu.vf ?? '' });
  if (gpu.kind === 'mdev') Object.assign(form, { parent: gpu.parent, type: gpu.type });
  if (gpu.kind === 'passthrough') form.device = gpu.device;
  return form;
}

function displayForm(display: DisplaySpec): DisplayForm {
  return display.kind === 'local'
    ? {
        kind: 'local',
        monitor: display.monitor ?? '',
        fullScreen: display.fullScreen,
        showFps: display.showFps,
        hostInput: display.hostInput,
      }
    : { kind: display.kind, monitor: '', fullScreen: true, showFps: false, hostInput: true };
}

/** What the GPU fields would send; the schema then names the field that is wrong. */
export function gpuFromForm(form: GpuForm): z.input<typeof VmConfig>['gpu'] {
  switch (form.kind) {
    case 'virtio':
      return { kind: 'virtio', gl: form.gl };
    case 'vf':
      return { kind: 'vf', pf: form.pf, ...(form.vf !== '' && { vf: form.vf }) };
    case 'mdev':
      return { kind: 'mdev', parent: form.parent, type: form.type };
    case 'passthrough':
      return { kind: 'passthrough', device: form.device };
    default:
      return { kind: form.kind };
  }
}

export function displayFromForm(form: DisplayForm): DisplaySpec {
  return form.kind === 'local'
    ? {
        kind: 'local',
        monitor: form.monitor === '' ? null : form.monitor,
        fullScreen: form.fullScreen,
        showFps: form.showFps,
        hostInput: form.hostInput,
      }
    : { kind: form.kind };
}

/** The displays a GPU can feed (the schema's rules, offered before they are broken). */
export function displaysFor(gpu: GpuKind): DisplayKind[] {
  return gpu === 'none' ? ['none'] : ['vnc', 'spice', 'local', 'none'];
}

/** A disk added to the form, on the bus the others use (a Windows VM's disks are all SATA). */
export function newDiskRow(form: VmForm, disk: Pick<DiskRow, 'path' | 'format'>): DiskRow {
  return { ...disk, readOnly: false, bus: form.disks[0]?.bus ?? 'virtio' };
}

/** The Windows 11 profile (src/shared/vm-presets.ts) on the form: what a stock Windows install needs. */
export function withWindows11Profile(form: VmForm): VmForm {
  const p = WINDOWS11_PROFILE;
  const atLeast = (text: string, min: number) => (Number(text) >= min ? text : String(min));
  return {
    ...form,
    cpus: atLeast(form.cpus, p.minCpus),
    memoryMiB: atLeast(form.memoryMiB, p.minMemoryMiB),
    firmware: p.firmware,
    tpm: p.tpm,
    hyperv: p.hyperv,
    nicModel: p.nicModel,
    disks: form.disks.map((d) => ({ ...d, bus: p.diskBus })),
  };
}

/** Errors by field key: the input's path joined with dots, `disks.0.path`, `network.forwards.1.hostPort`. */
export type FieldErrors = Partial<Record<string, string>>;

export function fieldKey(path: readonly (string | number)[]): string {
  return path.join('.');
}

export function formFromConfig(config: VmConfig, name = ''): VmForm {
  return {
    name,
    cpus: String(config.cpus),
    memoryMiB: String(config.memoryMiB),
    cpuPinning: config.cpuPinning.join(','),
    hugepages: config.memoryBacking.hugepages,
    sharedMemory: config.memoryBacking.shared,
    kernelIrqchip: config.machine.kernelIrqchip,
    firmware: config.firmware,
    tpm: config.tpm,
    hyperv: config.hyperv,
    restartPolicy: config.restartPolicy,
    gpu: gpuForm(config.gpu),
    display: displayForm(config.display),
    disks: config.disks.map((d) => ({ ...d })),
    cdrom: config.cdrom ?? '',
    kernel: config.kernel?.path ?? '',
    initrd: config.kernel?.initrd ?? '',
    append: config.kernel?.append ?? '',
    networkMode: config.network.mode,
    nicModel: config.network.model,
    forwards: config.network.forwards.map((f) => ({
      ...f,
      hostPort: String(f.hostPort),
      guestPort: String(f.guestPort),
    })),
    usb: [...config.usb],
    evdev: [...config.evdev],
  };
}

/** A new VM starts from the contract's defaults, so the form never disagrees with the backend. */
export function emptyForm(): VmForm {
  return formFromConfig(VmConfig.parse({}));
}

export function formFromSpec(spec: VmSpec): VmForm {
  return formFromConfig(spec, spec.name);
}

/** What a copy leaves out, said in the editor: what two VMs cannot share. */
export const DUPLICATE_LEAVES_OUT =
  'Disks, port forwards and a chosen VF are not copied: two VMs cannot use one disk, one host port or one VF at once. Give the copy its own disk, or make both overlays of a golden image.';

/**
 * A new VM like `spec` (issue 19: four similar VMs meant typing kernel, initrd, arguments and GPU
 * four times), named `<name>-2` or the next free number, without what two VMs cannot share.
 */
export function duplicateForm(spec: VmSpec, taken: ReadonlySet<string>): VmForm {
  const base = spec.name.replace(/-\d+$/, '');
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  const form = formFromConfig(spec, `${base}-${n}`);
  return { ...form, disks: [], forwards: [], gpu: { ...form.gpu, vf: '' } };
}

/** Blank stays blank (NaN), so the schema says "must be a whole number" instead of taking a default. */
function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

/** `2, 3` → [2, 3]; a word that is not a number stays NaN, so the schema says what is wrong with it. */
function toNumbers(text: string): number[] {
  return text.trim() === '' ? [] : text.split(',').map(toNumber);
}

/** What the form would send, before validation; schema errors then name the same paths the inputs have. */
export function formToInput(form: VmForm): z.input<typeof VmConfig> {
  const kernelUsed = [form.kernel, form.initrd, form.append].some((v) => v.trim() !== '');
  return {
    cpus: toNumber(form.cpus),
    memoryMiB: toNumber(form.memoryMiB),
    cpuPinning: toNumbers(form.cpuPinning),
    memoryBacking: { hugepages: form.hugepages, shared: form.sharedMemory },
    machine: { kernelIrqchip: form.kernelIrqchip },
    firmware: form.firmware,
    tpm: form.tpm,
    hyperv: form.hyperv,
    restartPolicy: form.restartPolicy,
    gpu: gpuFromForm(form.gpu),
    display: displayFromForm(form.display),
    disks: form.disks.map((d) => ({
      path: d.path.trim(),
      format: d.format,
      readOnly: d.readOnly,
      bus: d.bus,
    })),
    ...(form.cdrom.trim() !== '' && { cdrom: form.cdrom.trim() }),
    ...(kernelUsed && {
      kernel: {
        path: form.kernel.trim(),
        ...(form.initrd.trim() !== '' && { initrd: form.initrd.trim() }),
        ...(form.append.trim() !== '' && { append: form.append.trim() }),
      },
    }),
    network: {
      mode: form.networkMode,
      model: form.nicModel,
      // Forwards mean nothing without user networking; the rows stay in the form if the mode comes back.
      forwards:
        form.networkMode === 'user'
          ? form.forwards.map((f) => ({
              protocol: f.protocol,
              hostAddress: f.hostAddress,
              hostPort: toNumber(f.hostPort),
              guestPort: toNumber(f.guestPort),
            }))
          : [],
    },
    usb: form.usb.map((u) => u.trim()),
    evdev: form.evdev.map((e) => e.trim()),
  };
}

export function issuesToErrors(issues: readonly FieldIssue[], dropPrefix?: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const path = dropPrefix !== undefined && issue.path[0] === dropPrefix ? issue.path.slice(1) : issue.path;
    const key = fieldKey(path);
    errors[key] ??= issue.message; // the first problem of a field is the one to fix first
  }
  return errors;
}

export type Validation = { ok: true; name: string; config: VmConfig } | { ok: false; errors: FieldErrors };

/**
 * Check the form with the contract's own schemas (the backend runs the same), plus what only the
 * front knows: the names already taken.
 */
export function validateForm(
  form: VmForm,
  mode: 'create' | 'edit',
  takenNames: readonly string[],
): Validation {
  const input = formToInput(form);
  const errors: FieldErrors = {};
  let config: VmConfig | undefined;
  if (mode === 'create') {
    const parsed = VmCreateInput.safeParse({ ...input, name: form.name.trim() });
    // VmConfig keeps only its own keys: the name is the VM's identity, not one of its settings.
    if (parsed.success) config = VmConfig.parse(parsed.data);
    else Object.assign(errors, issuesToErrors(parsed.error.issues.map(toFieldIssue)));
    if (errors['name'] === undefined && takenNames.includes(form.name.trim())) {
      errors['name'] = `a VM named '${form.name.trim()}' already exists`;
    }
  } else {
    const parsed = VmConfig.safeParse(input);
    if (parsed.success) config = parsed.data;
    else Object.assign(errors, issuesToErrors(parsed.error.issues.map(toFieldIssue)));
  }
  if (config === undefined || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, name: form.name.trim(), config };
}

function toFieldIssue(issue: z.core.$ZodIssue): FieldIssue {
  return { path: issue.path.filter((p) => typeof p !== 'symbol'), message: issue.message };
}
