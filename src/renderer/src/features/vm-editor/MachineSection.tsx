import { CheckboxField, Field, inputProps, SelectField } from './Field';
import type { VmForm } from './form-model';
import type { SectionProps } from './section-props';

const HUGEPAGES: Record<VmForm['hugepages'], string> = {
  off: 'Normal pages',
  '2M': '2 MiB hugepages',
  '1G': '1 GiB hugepages',
};
const IRQCHIP: Record<VmForm['kernelIrqchip'], string> = {
  auto: 'QEMU’s default',
  on: 'In the host kernel (on)',
  split: 'Split',
  off: 'In QEMU (off)',
};

/** Memory backing, vCPU pinning, the interrupt controller, TPM and Hyper-V. */
export function MachineSection({ form, errorOf, change, disabled }: SectionProps) {
  // `cpuPinning.2` names the third vCPU's host CPU; the text box holds them all.
  const pinningError =
    errorOf('cpuPinning') ??
    Array.from({ length: Number(form.cpus) || 0 }, (_, i) => errorOf(`cpuPinning.${i}`)).find(Boolean);
  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Machine</legend>
      <div className="form-grid">
        <SelectField
          fieldKey="memoryBacking.hugepages"
          label="Guest memory"
          error={errorOf('memoryBacking.hugepages')}
          value={form.hugepages}
          choices={HUGEPAGES}
          onChange={(hugepages) => change({ hugepages })}
        />
        <CheckboxField
          fieldKey="memoryBacking.shared"
          label="Share guest memory with other processes (vhost-user)"
          error={errorOf('memoryBacking.shared')}
          checked={form.sharedMemory}
          onChange={(sharedMemory) => change({ sharedMemory })}
        />
        <Field
          fieldKey="cpuPinning"
          label="Pin vCPUs to host CPUs"
          error={pinningError}
          hint="One host CPU per vCPU, in order, e.g. 2,3. Empty: not pinned."
        >
          <input
            type="text"
            spellCheck={false}
            value={form.cpuPinning}
            placeholder="not pinned"
            onChange={(e) => change({ cpuPinning: e.target.value })}
            {...inputProps('cpuPinning', pinningError, true)}
          />
        </Field>
        <SelectField
          fieldKey="machine.kernelIrqchip"
          label="Interrupt controller"
          error={errorOf('machine.kernelIrqchip')}
          value={form.kernelIrqchip}
          choices={IRQCHIP}
          onChange={(kernelIrqchip) => change({ kernelIrqchip })}
        />
        <CheckboxField
          fieldKey="tpm"
          label="TPM 2.0 (swtpm)"
          error={errorOf('tpm')}
          checked={form.tpm}
          onChange={(tpm) => change({ tpm })}
        />
        <CheckboxField
          fieldKey="hyperv"
          label="Hyper-V enlightenments (Windows)"
          error={errorOf('hyperv')}
          checked={form.hyperv}
          onChange={(hyperv) => change({ hyperv })}
        />
      </div>
    </fieldset>
  );
}
