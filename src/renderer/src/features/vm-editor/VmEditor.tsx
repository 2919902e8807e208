import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { VM_LIMITS } from '../../../../shared/vm-spec';
import { formatRoute } from '../../navigation/route';
import { navigate } from '../../navigation/use-route';
import { useVmStore } from '../../stores/context';
import { Field, fieldId, inputProps } from './Field';
import { FileField } from './FileField';
import {
  emptyForm,
  formFromSpec,
  issuesToErrors,
  validateForm,
  type DiskRow,
  type FieldErrors,
  type ForwardRow,
  type VmForm,
} from './form-model';
import { NewDiskDialog } from './NewDiskDialog';

const MEMORY_PRESETS_MIB = [512, 1024, 2048, 4096, 8192];

/** Create a VM (id null) or edit a stopped one. */
export function VmEditor({ id }: { id: string | null }) {
  const vms = useVmStore((s) => s.vms);
  if (id === null) return <EditorForm existing={null} />;
  if (vms === null) return <p className="muted">Loading…</p>;
  const vm = vms.find((v) => v.id === id);
  if (!vm) {
    return (
      <p className="notice notice-error" role="alert">
        There is no VM named “{id}”. <a href={formatRoute({ view: 'gallery' })}>Back to the gallery</a>
      </p>
    );
  }
  return <EditorForm existing={vm} />;
}

function EditorForm({ existing }: { existing: VmInfo | null }) {
  const vms = useVmStore((s) => s.vms);
  const host = useVmStore((s) => s.host);
  const create = useVmStore((s) => s.create);
  const update = useVmStore((s) => s.update);
  const [form, setForm] = useState<VmForm>(() => (existing ? formFromSpec(existing.spec) : emptyForm()));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [newDiskOpen, setNewDiskOpen] = useState(false);

  const mode = existing ? 'edit' : 'create';
  const liveVm = existing ? vms?.find((v) => v.id === existing.id) : undefined;
  const running = liveVm !== undefined && liveVm.state !== 'stopped' && liveVm.state !== 'crashed';
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
  const changeDisk = (index: number, patch: Partial<DiskRow>) =>
    change({ disks: form.disks.map((d, i) => (i === index ? { ...d, ...patch } : d)) });
  const changeForward = (index: number, patch: Partial<ForwardRow>) =>
    change({ forwards: form.forwards.map((f, i) => (i === index ? { ...f, ...patch } : f)) });

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
          <h2 id="editor-title">{existing ? `Edit ${existing.spec.name}` : 'New virtual machine'}</h2>
          <a href={formatRoute({ view: 'gallery' })} className="button button-secondary">
            Cancel
          </a>
          <button type="submit" disabled={saving || running} data-testid="editor-save">
            {saving ? 'Saving…' : existing ? 'Save changes' : 'Create VM'}
          </button>
        </div>
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
            <Field fieldKey="firmware" label="Firmware" error={errorOf('firmware')}>
              <select
                value={form.firmware}
                onChange={(e) => change({ firmware: e.target.value as VmForm['firmware'] })}
                {...inputProps('firmware', errorOf('firmware'))}
              >
                <option value="bios">BIOS (SeaBIOS)</option>
                <option value="uefi">UEFI (OVMF)</option>
              </select>
            </Field>
            <Field fieldKey="restartPolicy" label="When the VM ends" error={errorOf('restartPolicy')}>
              <select
                value={form.restartPolicy}
                onChange={(e) => change({ restartPolicy: e.target.value as VmForm['restartPolicy'] })}
                {...inputProps('restartPolicy', errorOf('restartPolicy'))}
              >
                <option value="never">Leave it off</option>
                <option value="on-crash">Restart it if it crashed</option>
                <option value="always">Always restart it (kiosk)</option>
              </select>
            </Field>
          </div>
        </fieldset>

        <fieldset className="form-section" disabled={running || saving}>
          <legend>Disks</legend>
          {form.disks.length === 0 && (
            <p className="muted">No disks. The VM boots from a CD-ROM or a kernel below.</p>
          )}
          <ol className="rows">
            {form.disks.map((disk, index) => (
              <li className="row" key={index} data-testid={`disk-row-${index}`}>
                <FileField
                  fieldKey={`disks.${index}.path`}
                  label={index === 0 ? 'Disk 1 (boots first)' : `Disk ${index + 1}`}
                  value={disk.path}
                  onChange={(path) => changeDisk(index, { path })}
                  error={errorOf(`disks.${index}.path`)}
                  purpose="disk"
                  needsWrite={!disk.readOnly}
                />
                <Field
                  fieldKey={`disks.${index}.format`}
                  label="Format"
                  error={errorOf(`disks.${index}.format`)}
                >
                  <select
                    value={disk.format}
                    onChange={(e) => changeDisk(index, { format: e.target.value as DiskRow['format'] })}
                    {...inputProps(`disks.${index}.format`, errorOf(`disks.${index}.format`))}
                  >
                    <option value="qcow2">qcow2</option>
                    <option value="raw">raw</option>
                  </select>
                </Field>
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={disk.readOnly}
                    onChange={(e) => changeDisk(index, { readOnly: e.target.checked })}
                  />
                  Read-only
                </label>
                <button
                  type="button"
                  className="button-ghost button-danger"
                  aria-label={`Remove disk ${index + 1}`}
                  onClick={() => change({ disks: form.disks.filter((_, i) => i !== index) })}
                >
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <div className="row-actions">
            <button
              type="button"
              className="button-secondary"
              disabled={form.disks.length >= VM_LIMITS.disksMax}
              onClick={() =>
                change({ disks: [...form.disks, { path: '', format: 'qcow2', readOnly: false }] })
              }
              data-testid="add-disk"
            >
              Add an existing disk
            </button>
            <button
              type="button"
              className="button-secondary"
              disabled={form.disks.length >= VM_LIMITS.disksMax}
              onClick={() => setNewDiskOpen(true)}
              data-testid="create-disk"
            >
              Create a new disk…
            </button>
          </div>
        </fieldset>

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

        <fieldset className="form-section" disabled={running || saving}>
          <legend>Graphics and display</legend>
          <div className="form-grid">
            <Field
              fieldKey="vga"
              label="GPU"
              error={errorOf('vga')}
              hint="Intel GPU functions come with the GPU view."
            >
              <select
                value={form.vga}
                onChange={(e) => change({ vga: e.target.value as VmForm['vga'] })}
                {...inputProps('vga', errorOf('vga'), true)}
              >
                <option value="std">Virtual GPU: standard VGA</option>
                <option value="virtio">Virtual GPU: virtio</option>
                <option value="none">None (serial console only)</option>
              </select>
            </Field>
            <Field fieldKey="display" label="Console protocol" error={errorOf('display')}>
              <select
                value={form.display}
                onChange={(e) => change({ display: e.target.value as VmForm['display'] })}
                {...inputProps('display', errorOf('display'))}
              >
                <option value="vnc">VNC</option>
                <option value="spice">SPICE</option>
                <option value="none">None (no screen)</option>
              </select>
            </Field>
          </div>
        </fieldset>

        <fieldset className="form-section" disabled={running || saving}>
          <legend>Network</legend>
          <div className="form-grid">
            <Field fieldKey="network.mode" label="Networking" error={errorOf('network.mode')}>
              <select
                value={form.networkMode}
                onChange={(e) => change({ networkMode: e.target.value as VmForm['networkMode'] })}
                {...inputProps('network.mode', errorOf('network.mode'))}
              >
                <option value="user">User-mode NAT (outbound, plus forwarded ports)</option>
                <option value="none">None</option>
              </select>
            </Field>
          </div>
          {form.networkMode === 'user' && (
            <>
              <ol className="rows">
                {form.forwards.map((f, index) => {
                  const key = (field: string) => `network.forwards.${index}.${field}`;
                  return (
                    <li className="row" key={index} data-testid={`forward-row-${index}`}>
                      <Field fieldKey={key('protocol')} label="Protocol" error={errorOf(key('protocol'))}>
                        <select
                          value={f.protocol}
                          onChange={(e) =>
                            changeForward(index, { protocol: e.target.value as ForwardRow['protocol'] })
                          }
                          {...inputProps(key('protocol'), errorOf(key('protocol')))}
                        >
                          <option value="tcp">TCP</option>
                          <option value="udp">UDP</option>
                        </select>
                      </Field>
                      <Field
                        fieldKey={key('hostAddress')}
                        label="Listen on"
                        error={errorOf(key('hostAddress'))}
                      >
                        <select
                          value={f.hostAddress}
                          onChange={(e) =>
                            changeForward(index, { hostAddress: e.target.value as ForwardRow['hostAddress'] })
                          }
                          {...inputProps(key('hostAddress'), errorOf(key('hostAddress')))}
                        >
                          <option value="127.0.0.1">This host only</option>
                          <option value="0.0.0.0">Every network</option>
                        </select>
                      </Field>
                      <Field fieldKey={key('hostPort')} label="Host port" error={errorOf(key('hostPort'))}>
                        <input
                          type="number"
                          min={1}
                          max={65535}
                          value={f.hostPort}
                          onChange={(e) => changeForward(index, { hostPort: e.target.value })}
                          {...inputProps(key('hostPort'), errorOf(key('hostPort')))}
                        />
                      </Field>
                      <Field fieldKey={key('guestPort')} label="Guest port" error={errorOf(key('guestPort'))}>
                        <input
                          type="number"
                          min={1}
                          max={65535}
                          value={f.guestPort}
                          onChange={(e) => changeForward(index, { guestPort: e.target.value })}
                          {...inputProps(key('guestPort'), errorOf(key('guestPort')))}
                        />
                      </Field>
                      <button
                        type="button"
                        className="button-ghost button-danger"
                        aria-label={`Remove forward ${index + 1}`}
                        onClick={() => change({ forwards: form.forwards.filter((_, i) => i !== index) })}
                      >
                        Remove
                      </button>
                    </li>
                  );
                })}
              </ol>
              <div className="row-actions">
                <button
                  type="button"
                  className="button-secondary"
                  disabled={form.forwards.length >= VM_LIMITS.forwardsMax}
                  onClick={() =>
                    change({
                      forwards: [
                        ...form.forwards,
                        { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: '', guestPort: '22' },
                      ],
                    })
                  }
                  data-testid="add-forward"
                >
                  Forward a port
                </button>
                <span className="hint">A TCP forward to guest port 22 adds an SSH tab to the console.</span>
              </div>
            </>
          )}
        </fieldset>
      </form>
      {/* Outside the form: a nested form's submit would bubble up and save the VM. */}
      <NewDiskDialog
        open={newDiskOpen}
        suggestedPath={suggestedDiskPath}
        onClose={() => setNewDiskOpen(false)}
        onCreated={(disk) => {
          setNewDiskOpen(false);
          change({ disks: [...form.disks, { ...disk, readOnly: false }] });
        }}
      />
    </>
  );
}
