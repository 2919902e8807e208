import type { GpuInventory } from '../../../../shared/gpu-inventory';
import type { DrmConnector } from '../../../../shared/host-displays';
import { capabilityNotes, type QemuCapabilities } from '../../../../shared/qemu-capabilities';
import { GpuSpec, type DisplayKind, type GpuKind } from '../../../../shared/vm-spec';
import { CheckboxField, ChoicesField } from './Field';
import { displayFromForm, displaysFor, gpuFromForm, type DisplayForm, type GpuForm } from './form-model';
import {
  displayChoices,
  gpuChoices,
  gpuKindChoices,
  gvtGpus,
  mdevTypeChoices,
  monitorChoices,
  sriovGpus,
  vfChoices,
} from './gpu-choices';
import type { SectionProps } from './section-props';

interface GraphicsProps extends SectionProps {
  inventory: GpuInventory | null;
  monitors: DrmConnector[] | null;
  qemu: QemuCapabilities | null;
  /** Why the monitors or QEMU's capabilities are unknown. */
  hostError: string | null;
}

/**
 * The GPU the VM gets and how its screen is shown: only displays the chosen GPU can feed are
 * offered, and where this host's QEMU falls short of the choice, the editor says what it does
 * instead (capabilityNotes).
 */
export function GraphicsSection({
  form,
  errorOf,
  change,
  disabled,
  inventory,
  monitors,
  qemu,
  hostError,
}: GraphicsProps) {
  const { gpu, display } = form;
  const setGpu = (patch: Partial<GpuForm>) => {
    const next = { ...gpu, ...patch };
    const allowed = displaysFor(next.kind);
    change({
      gpu: withDefaults(next, inventory),
      // A display this GPU cannot feed gives way to the first it can.
      ...(!allowed.includes(display.kind) && { display: { ...display, kind: allowed[0] ?? 'none' } }),
    });
  };
  const setDisplay = (patch: Partial<DisplayForm>) => change({ display: { ...display, ...patch } });
  const pf = inventory?.gpus.find((g) => g.address === gpu.pf);
  const parent = inventory?.gpus.find((g) => g.address === gpu.parent);
  const spec = GpuSpec.safeParse(gpuFromForm(gpu));
  const notes =
    qemu && spec.success ? capabilityNotes(qemu, { gpu: spec.data, display: displayFromForm(display) }) : [];

  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Graphics and display</legend>
      <div className="form-grid">
        <ChoicesField
          fieldKey="gpu"
          label="GPU"
          error={errorOf('gpu')}
          value={gpu.kind}
          choices={gpuKindChoices(inventory, gpu.kind)}
          onChange={(kind) => setGpu({ kind: kind as GpuKind })}
        />
        {gpu.kind === 'virtio' && (
          <CheckboxField
            fieldKey="gpu.gl"
            label="GL: render the guest’s OpenGL on the host"
            error={errorOf('gpu.gl')}
            checked={gpu.gl}
            onChange={(gl) => setGpu({ gl })}
          />
        )}
        {gpu.kind === 'vf' && (
          <>
            <ChoicesField
              fieldKey="gpu.pf"
              label="GPU to take a VF of"
              error={errorOf('gpu.pf')}
              value={gpu.pf}
              choices={gpuChoices(sriovGpus(inventory))}
              onChange={(address) => setGpu({ pf: address, vf: '' })}
            />
            <ChoicesField
              fieldKey="gpu.vf"
              label="Virtual function"
              error={errorOf('gpu.vf')}
              hint="Any free VF is picked when the VM starts and given back when it stops."
              value={gpu.vf}
              choices={vfChoices(pf)}
              onChange={(vf) => setGpu({ vf })}
            />
          </>
        )}
        {gpu.kind === 'mdev' && (
          <>
            <ChoicesField
              fieldKey="gpu.parent"
              label="GPU to create the vGPU on"
              error={errorOf('gpu.parent')}
              value={gpu.parent}
              choices={gpuChoices(gvtGpus(inventory))}
              onChange={(address) => setGpu({ parent: address, type: '' })}
            />
            <ChoicesField
              fieldKey="gpu.type"
              label="vGPU type"
              error={errorOf('gpu.type')}
              hint="Created when the VM starts, removed when it stops."
              value={gpu.type}
              choices={mdevTypeChoices(parent, gpu.type)}
              onChange={(type) => setGpu({ type })}
            />
          </>
        )}
        {gpu.kind === 'passthrough' && (
          <ChoicesField
            fieldKey="gpu.device"
            label="GPU to give the VM"
            error={errorOf('gpu.device')}
            hint="The host has no use of it while the VM runs; the monitors on its ports show the guest, a console an emulated VGA."
            value={gpu.device}
            choices={gpuChoices(inventory?.gpus ?? [])}
            onChange={(device) => setGpu({ device })}
          />
        )}
        <ChoicesField
          fieldKey="display"
          label="Display"
          error={errorOf('display')}
          value={display.kind}
          choices={displayChoices(gpu.kind, qemu, monitors)}
          onChange={(kind) => setDisplay({ kind: kind as DisplayKind })}
        />
        {display.kind === 'local' && (
          <>
            <ChoicesField
              fieldKey="display.monitor"
              label="Monitor"
              error={errorOf('display.monitor')}
              value={display.monitor}
              choices={monitorChoices(monitors)}
              onChange={(monitor) => setDisplay({ monitor })}
            />
            <CheckboxField
              fieldKey="display.fullScreen"
              label="Full screen"
              error={errorOf('display.fullScreen')}
              checked={display.fullScreen}
              onChange={(fullScreen) => setDisplay({ fullScreen })}
            />
            <CheckboxField
              fieldKey="display.showFps"
              label="Show the frame rate"
              error={errorOf('display.showFps')}
              checked={display.showFps}
              onChange={(showFps) => setDisplay({ showFps })}
            />
            <CheckboxField
              fieldKey="display.hostInput"
              label="Pass this host's keyboard and mouse to the window"
              error={errorOf('display.hostInput')}
              checked={display.hostInput}
              onChange={(hostInput) => setDisplay({ hostInput })}
            />
          </>
        )}
      </div>
      {hostError !== null && (
        <p className="notice notice-warning" data-testid="graphics-host-error">
          {hostError}
        </p>
      )}
      {notes.map((note) => (
        <p
          key={note.id}
          className={`notice ${note.severity === 'blocker' ? 'notice-error' : 'notice-info'}`}
          data-testid={`capability-note-${note.id}`}
        >
          {note.message}
        </p>
      ))}
    </fieldset>
  );
}

/** A kind chosen for the first time starts on the host's first GPU that has it (and its first type). */
function withDefaults(gpu: GpuForm, inventory: GpuInventory | null): GpuForm {
  const next = { ...gpu };
  if (next.kind === 'vf' && next.pf === '') next.pf = sriovGpus(inventory)[0]?.address ?? '';
  if (next.kind === 'mdev' && next.parent === '') next.parent = gvtGpus(inventory)[0]?.address ?? '';
  if (next.kind === 'mdev' && next.type === '') {
    const parent = inventory?.gpus.find((g) => g.address === next.parent);
    next.type = parent?.mdevTypes.find((t) => t.availableInstances !== 0)?.id ?? '';
  }
  if (next.kind === 'passthrough' && next.device === '') next.device = inventory?.gpus[0]?.address ?? '';
  return next;
}
