import { VM_LIMITS } from '../../../../shared/vm-spec';
import { Field, inputProps, SelectField } from './Field';
import type { VmForm } from './form-model';
import type { SectionProps } from './section-props';

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

/** Name, vCPUs, memory, firmware and what happens when the VM ends. */
export function BasicsSection({
  form,
  errorOf,
  change,
  disabled,
  editing,
}: SectionProps & {
  /** An existing VM's name is its identity and stays as it is. */
  editing: boolean;
}) {
  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Basics</legend>
      <div className="form-grid">
        <Field
          fieldKey="name"
          label="Name"
          error={errorOf('name')}
          hint={
            editing ? 'The name is the VM’s identity and cannot change.' : 'Letters, digits, “.”, “_” or “-”.'
          }
        >
          <input
            type="text"
            value={form.name}
            readOnly={editing}
            autoFocus={!editing}
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
  );
}
