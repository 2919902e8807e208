import type { z } from 'zod';
import {
  VmConfig,
  VmCreateInput,
  type DiskSpec,
  type PortForward,
  type VmSpec,
} from '../../../../shared/vm-spec';
import type { FieldIssue } from '../../stores/failure';

export interface DiskRow {
  path: string;
  format: DiskSpec['format'];
  readOnly: boolean;
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
  firmware: VmConfig['firmware'];
  restartPolicy: VmConfig['restartPolicy'];
  vga: VmConfig['vga'];
  display: VmConfig['display'];
  disks: DiskRow[];
  cdrom: string;
  kernel: string;
  initrd: string;
  append: string;
  networkMode: VmConfig['network']['mode'];
  forwards: ForwardRow[];
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
    firmware: config.firmware,
    restartPolicy: config.restartPolicy,
    vga: config.vga,
    display: config.display,
    disks: config.disks.map((d) => ({ ...d })),
    cdrom: config.cdrom ?? '',
    kernel: config.kernel?.path ?? '',
    initrd: config.kernel?.initrd ?? '',
    append: config.kernel?.append ?? '',
    networkMode: config.network.mode,
    forwards: config.network.forwards.map((f) => ({
      ...f,
      hostPort: String(f.hostPort),
      guestPort: String(f.guestPort),
    })),
  };
}

/** A new VM starts from the contract's defaults, so the form never disagrees with the backend. */
export function emptyForm(): VmForm {
  return formFromConfig(VmConfig.parse({}));
}

export function formFromSpec(spec: VmSpec): VmForm {
  return formFromConfig(spec, spec.name);
}

/** Blank stays blank (NaN), so the schema says "must be a whole number" instead of taking a default. */
function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

/** What the form would send, before validation; schema errors then name the same paths the inputs have. */
export function formToInput(form: VmForm): z.input<typeof VmConfig> {
  const kernelUsed = [form.kernel, form.initrd, form.append].some((v) => v.trim() !== '');
  return {
    cpus: toNumber(form.cpus),
    memoryMiB: toNumber(form.memoryMiB),
    firmware: form.firmware,
    restartPolicy: form.restartPolicy,
    vga: form.vga,
    display: form.display,
    disks: form.disks.map((d) => ({ path: d.path.trim(), format: d.format, readOnly: d.readOnly })),
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
