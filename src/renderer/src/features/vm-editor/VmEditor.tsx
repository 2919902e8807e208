import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { VM_LIMITS } from '../../../../shared/vm-spec';
import { canEdit } from '../../../../shared/vm-actions';
import { formatRoute } from '../../navigation/route';
import { navigate } from '../../navigation/use-route';
import { useGpuStore, useHostStore, useVmStore } from '../../stores/context';
import { Field, fieldId, inputProps, SelectField } from './Field';
import { FileField } from './FileField';
import {
  DUPLICATE_LEAVES_OUT,
  duplicateForm,
  emptyForm,
  formFromSpec,
  issuesToErrors,
  newDiskRow,
  validateForm,
  withWindows11Profile,
  type FieldErrors,
  type VmForm,
} from './form-model';
import { DisksSection } from './DisksSection';
import { GraphicsSection } from './GraphicsSection';
import { MachineSection } from './MachineSection';
import { NetworkSection } from './NetworkSection';
import { NewDiskDialog } from './NewDiskDialog';
import { UsbSection } from './UsbSection';

const MEMORY_PRESETS_MIB = [512, 1024, 2048, 4096, 8192];

const FIRMWARE: Record<VmForm['firmware'], string> = {
  bios: 'BIOS (SeaBIOS)',
  uefi: 'UEFI (OVMF)',
  'uefi-secure-boot': 'UEFI with Secure Boot (Microsoft keys)',
};
const RESTART_POLICIES: Record<VmForm['restartPolicy'], string> = {
  never: 'Leave it off',
  'on-crash': 'Restart it if it crashed',
  always: 'Always restart it (kiosk)',
};
/** Create a VM (id null), maybe as a copy of another, or edit a stopped one. */
export function VmEditor({ id, duplicateOf }: { id: string | null; duplicateOf?: string }) {
  const vms = useVmStore((s) => s.vms);
  if (id === null && duplicateOf === undefined) return <EditorForm existing={null} />;
  if (vms === null) return <p className="muted">Loading…</p>;
  const wanted = id ?? duplicateOf;
  const vm = vms.find((v) => v.id === wanted);
  if (!vm) {
    return (
      <p className="notice notice-error" role="alert">
        There is no VM named “{wanted}”. <a href={formatRoute({ view: 'gallery' })}>Back to the gallery</a>
      </p>
    );
  }
  if (id === null) return <EditorForm existing={null} copyOf={vm} taken={new Set(vms.map((v) => v.id))} />;
  return <EditorForm existing={vm} />;
}

function EditorForm({
  existing,
  copyOf,
  taken,
}: {
  existing: VmInfo | null;
  copyOf?: VmInfo;
  taken?: ReadonlySet<string>;
}) {
  const vms = useVmStore((s) => s.vms);
  const host = useVmStore((s) => s.host);
  const inventory = useGpuStore((s) => s.inventory);
  const refreshGpu = useGpuStore((s) => s.refresh);
  const monitors = useHostStore((s) => s.monitors);
  const qemu = useHostStore((s) => s.qemu);
  const graphicsError = useHostStore((s) => s.graphicsError);
  const loadGraphics = useHostStore((s) => s.loadGraphics);
  const usb = useHostStore((s) => s.usb);
  const usbError = useHostStore((s) => s.usbError);
  const loadUsb = useHostStore((s) => s.loadUsb);
  // What the GPU and display fields offer is read afresh each time the editor opens: VFs,
  // their holders and monitors change while the app runs.
  useEffect(() => {
    void refreshGpu();
    void loadGraphics();
    void loadUsb();
  }, [refreshGpu, loadGraphics, loadUsb]);
  const create = useVmStore((s) => s.create);
  const update = useVmStore((s) => s.update);
  const [form, setForm] = useState<VmForm>(() =>
    existing
      ? formFromSpec(existing.spec)
      : copyOf
        ? duplicateForm(copyOf.spec, taken ?? new Set())
        : emptyForm(),
  );
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [newDiskOpen, setNewDiskOpen] = useState(false);

  const mode = existing ? 'edit' : 'create';
  const liveVm = existing ? vms?.find((v) => v.id === existing.id) : undefined;
  const running = liveVm !== undefined && !canEdit(liveVm.state);
  const takenNames = useMemo(() => (vms ?? []).map((v) => v.id), [vms]);
  const validation = validateForm(form, mode, takenNames);
  const clientErrors = validation.ok ? {} : validation.errors;
  const errorOf = (key: string): string | undefined =>
    (submitted || touched.has(key) ? clientErrors[key] : undefined) ?? serverErrors[key];

  const change = (patch: Partial<VmForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setServerErrors({}); // the server judged the old values
    setFormError(null);
  };

  // Focus the first field in error, in reading order, once the errors are on screen.
  const [focusErrors, setFocusErrors] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (focusErrors > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusErrors]);
  const focusFirstError = () => setFocusErrors((n) => n + 1);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!validation.ok) return focusFirstError();
    setSaving(true);
    const result = existing
      ? await update(existing.id, validation.config)
      : await create(validation.name, validation.config);
    setSaving(false);
    if (result.ok) return navigate({ view: 'gallery' });
    const fields = issuesToErrors(result.failure.issues, existing ? 'config' : undefined);
    setServerErrors(fields);
    // Whatever the server said that belongs to no field we show is said above the form.
    const placed = Object.keys(fields).some((key) => document.getElementById(fieldId(key)));
    setFormError(placed ? null : result.failure.message);
    if (placed) focusFirstError();
  };

  const diskBase = `${host?.dataDir ?? '~/.local/share/tessera'}/disks/${form.name.trim() || 'vm'}`;
  const suggestedDiskPath = `${diskBase}-${form.disks.length + 1}.qcow2`;
  const shownErrors = submitted ? Object.keys(clientErrors).length : 0;

  return (
    <>
      <form
        ref={formRef}
        className="editor"
        noValidate
        onSubmit={(e) => void submit(e)}
        onBlur={(e) => {
          const key = (e.target as HTMLElement).dataset['field'];
          if (key !== undefined && !touched.has(key)) setTouched(new Set(touched).add(key));
        }}
        aria-labelledby="editor-title"
        data-testid="vm-editor"
      >
        <div className="editor-head">
          <h2 id="editor-title">
            {existing
              ? `Edit ${existing.spec.name}`
              : copyOf
                ? `New VM like ${copyOf.spec.name}`
                : 'New virtual machine'}
          </h2>
          <button
            type="button"
            className="button-secondary"
            disabled={running || saving}
            onClick={() => change(withWindows11Profile(form))}
            data-testid="editor-windows11"
            title="UEFI with Secure Boot, TPM 2.0, Hyper-V enlightenments, SATA disks and an e1000e network card"
          >
            Windows 11 guest
          </button>
          <a href={formatRoute({ view: 'gallery' })} className="button button-secondary">
            Cancel
          </a>
          <button type="submit" disabled={saving || running} data-testid="editor-save">
            {saving ? 'Saving…' : existing ? 'Save changes' : 'Create VM'}
          </button>
        </div>
        {copyOf && (
          <p className="notice notice-info" role="note" data-testid="editor-duplicate-note">
            {DUPLICATE_LEAVES_OUT}
          </p>
        )}
        {running && (
          <p className="notice notice-warning" role="status">
            {existing?.spec.name} is {liveVm?.state}. Shut it down to change its settings; they apply at the
            next start.
          </p>
        )}
        {formError !== null && (
          <p className="notice notice-error" role="alert" data-testid="editor-error">
            {formError}
          </p>
        )}
        {shownErrors > 0 && (
          <p className="notice notice-error" role="alert" data-testid="editor-invalid">
            {shownErrors === 1 ? 'One field needs' : `${shownErrors} fields need`} fixing before the VM can be
            saved.
          </p>
        )}

        <fieldset className="form-section" disabled={running || saving}>
          <legend>Basics</legend>
          <div className="form-grid">
            <Field
              fieldKey="name"
              label="Name"
              error={errorOf('name')}
              hint={
                existing
                  ? 'The name is the VM’s identity and cannot change.'
                  : 'Letters, digits, “.”, “_” or “-”.'
              }
            >
              <input
                type="text"
                value={form.name}
                readOnly={existing !== null}
                autoFocus={existing === null}
                spellCheck={false}
                onChange={(e) => change({ name: e.target.value })}
                {...inputProps('name', errorOf('name'), true)}
              />
            </Field>
            <Field fieldKey="cpus" label="vCPUs" error={errorOf('cpus')}>
              <input
                type="number"
                min={VM_LIMITS.cpusMin}
                max={VM_LIMITS.cpusMax}
                value={form.cpus}
                onChange={(e) => change({ cpus: e.target.value })}
                {...inputProps('cpus', errorOf('cpus'))}
              />
            </Field>
            <Field fieldKey="memoryMiB" label="Memory (MiB)" error={errorOf('memoryMiB')}>
              <input
                type="number"
                min={VM_LIMITS.memoryMiBMin}
                step={64}
                list="memory-presets"
                value={form.memoryMiB}
                onChange={(e) => change({ memoryMiB: e.target.value })}
                {...inputProps('memoryMiB', errorOf('memoryMiB'))}
              />
              <datalist id="memory-presets">
                {MEMORY_PRESETS_MIB.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
            </Field>
            <SelectField
              fieldKey="firmware"
              label="Firmware"
              error={errorOf('firmware')}
              value={form.firmware}
              choices={FIRMWARE}
              onChange={(firmware) => change({ firmware })}
            />
            <SelectField
              fieldKey="restartPolicy"
              label="When the VM ends"
              error={errorOf('restartPolicy')}
              value={form.restartPolicy}
              choices={RESTART_POLICIES}
              onChange={(restartPolicy) => change({ restartPolicy })}
            />
          </div>
        </fieldset>

        <DisksSection
          form={form}
          errorOf={errorOf}
          change={change}
          disabled={running || saving}
          onCreateDisk={() => setNewDiskOpen(true)}
        />

        <fieldset className="form-section" disabled={running || saving}>
          <legend>Boot media</legend>
          <div className="form-grid">
            <FileField
              fieldKey="cdrom"
              label="CD-ROM image (ISO)"
              value={form.cdrom}
              onChange={(cdrom) => change({ cdrom })}
              error={errorOf('cdrom')}
              purpose="cdrom"
              placeholder="none"
            />
            <FileField
              fieldKey="kernel.path"
              label="Linux kernel (direct boot)"
              value={form.kernel}
              onChange={(kernel) => change({ kernel })}
              error={errorOf('kernel.path')}
              purpose="kernel"
              placeholder="none: boot from the disks or CD-ROM"
            />
            <FileField
              fieldKey="kernel.initrd"
              label="Initial ramdisk"
              value={form.initrd}
              onChange={(initrd) => change({ initrd })}
              error={errorOf('kernel.initrd')}
              purpose="initrd"
              placeholder="none"
            />
            <Field fieldKey="kernel.append" label="Kernel command line" error={errorOf('kernel.append')}>
              <input
                type="text"
                spellCheck={false}
                value={form.append}
                placeholder="console=ttyS0"
                onChange={(e) => change({ append: e.target.value })}
                {...inputProps('kernel.append', errorOf('kernel.append'))}
              />
            </Field>
          </div>
        </fieldset>

        <GraphicsSection
          form={form}
          errorOf={errorOf}
          change={change}
          disabled={running || saving}
          inventory={inventory}
          monitors={monitors}
          qemu={qemu}
          hostError={graphicsError}
        />

        <MachineSection form={form} errorOf={errorOf} change={change} disabled={running || saving} />

        <NetworkSection form={form} errorOf={errorOf} change={change} disabled={running || saving} />

        <UsbSection
          form={form}
          errorOf={errorOf}
          change={change}
          disabled={running || saving}
          devices={usb?.devices ?? null}
          self={existing?.id ?? null}
          simulated={usb?.simulated === true}
          hostError={usbError}
        />
      </form>
      {/* Outside the form: a nested form's submit would bubble up and save the VM. */}
      <NewDiskDialog
        open={newDiskOpen}
        suggestedPath={suggestedDiskPath}
        onClose={() => setNewDiskOpen(false)}
        onCreated={(disk) => {
          setNewDiskOpen(false);
          change({ disks: [...form.disks, newDiskRow(form, disk)] });
        }}
      />
    </>
  );
}
