import { useEffect, useMemo, useReducer, useRef, useState, type FormEvent } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { formatRoute } from '../../navigation/route';
import { navigate } from '../../navigation/use-route';
import { useGpuStore, useHostStore, useVmStore } from '../../stores/context';
import { fieldId } from './Field';
import {
  DUPLICATE_LEAVES_OUT,
  duplicateForm,
  emptyForm,
  formFromSpec,
  issuesToErrors,
  newDiskRow,
  validateForm,
  withWindows11Profile,
  type VmForm,
} from './form-model';
import { editorReducer, initialEditorState, shownError, shownErrorCount } from './editor-state';
import { BasicsSection } from './BasicsSection';
import { BootMediaSection } from './BootMediaSection';
import { DisksSection } from './DisksSection';
import { GraphicsSection } from './GraphicsSection';
import { MachineSection } from './MachineSection';
import { NetworkSection } from './NetworkSection';
import { NewDiskDialog } from './NewDiskDialog';
import { UsbSection } from './UsbSection';
import './editor.css';

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
  const host = useHostStore((s) => s.info);
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
  const [state, dispatch] = useReducer(editorReducer, null, () =>
    initialEditorState(
      existing
        ? formFromSpec(existing.spec)
        : copyOf
          ? duplicateForm(copyOf.spec, taken ?? new Set())
          : emptyForm(),
    ),
  );
  const { form, formError, saving } = state;
  const [newDiskOpen, setNewDiskOpen] = useState(false);

  const mode = existing ? 'edit' : 'create';
  const liveVm = existing ? vms?.find((v) => v.id === existing.id) : undefined;
  const running = liveVm !== undefined && liveVm.state !== 'stopped' && liveVm.state !== 'crashed';
  const takenNames = useMemo(() => (vms ?? []).map((v) => v.id), [vms]);
  const validation = validateForm(form, mode, takenNames);
  const clientErrors = validation.ok ? {} : validation.errors;
  const errorOf = (key: string): string | undefined => shownError(state, clientErrors, key);
  const change = (patch: Partial<VmForm>) => dispatch({ type: 'change', patch });

  // Focus the first field in error, in reading order, once the errors are on screen.
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.focusRequests > 0)
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [state.focusRequests]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    dispatch({ type: 'submit', valid: validation.ok });
    if (!validation.ok) return;
    const result = existing
      ? await update(existing.id, validation.config)
      : await create(validation.name, validation.config);
    if (result.ok) {
      dispatch({ type: 'saved' });
      return navigate({ view: 'gallery' });
    }
    const errors = issuesToErrors(result.failure.issues, existing ? 'config' : undefined);
    // Whatever the server said that belongs to no field we show is said above the form.
    const placed = Object.keys(errors).some((key) => document.getElementById(fieldId(key)));
    dispatch({ type: 'refused', errors, message: result.failure.message, placed });
  };

  const diskBase = `${host?.dataDir ?? '~/.local/share/tessera'}/disks/${form.name.trim() || 'vm'}`;
  const suggestedDiskPath = `${diskBase}-${form.disks.length + 1}.qcow2`;
  const shownErrors = shownErrorCount(state, clientErrors);

  return (
    <>
      <form
        ref={formRef}
        className="editor"
        noValidate
        onSubmit={(e) => void submit(e)}
        onBlur={(e) => {
          const key = (e.target as HTMLElement).dataset['field'];
          if (key !== undefined) dispatch({ type: 'leave', field: key });
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

        <BasicsSection
          form={form}
          errorOf={errorOf}
          change={change}
          disabled={running || saving}
          editing={existing !== null}
        />

        <DisksSection
          form={form}
          errorOf={errorOf}
          change={change}
          disabled={running || saving}
          onCreateDisk={() => setNewDiskOpen(true)}
        />

        <BootMediaSection form={form} errorOf={errorOf} change={change} disabled={running || saving} />

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
