import { VM_LIMITS } from '../../../../shared/vm-spec';
import { SelectField } from './Field';
import { FileField } from './FileField';
import type { DiskRow } from './form-model';
import type { SectionProps } from './section-props';

const DISK_FORMATS: Record<DiskRow['format'], string> = { qcow2: 'qcow2', raw: 'raw' };

/** The VM's disks in boot order: existing images by path, or new ones made with qemu-img. */
export function DisksSection({
  form,
  errorOf,
  change,
  disabled,
  onCreateDisk,
}: SectionProps & { onCreateDisk(): void }) {
  const changeDisk = (index: number, patch: Partial<DiskRow>) =>
    change({ disks: form.disks.map((d, i) => (i === index ? { ...d, ...patch } : d)) });
  return (
    <fieldset className="form-section" disabled={disabled}>
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
            <SelectField
              fieldKey={`disks.${index}.format`}
              label="Format"
              error={errorOf(`disks.${index}.format`)}
              value={disk.format}
              choices={DISK_FORMATS}
              onChange={(format) => changeDisk(index, { format })}
            />
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
          onClick={() => change({ disks: [...form.disks, { path: '', format: 'qcow2', readOnly: false }] })}
          data-testid="add-disk"
        >
          Add an existing disk
        </button>
        <button
          type="button"
          className="button-secondary"
          disabled={form.disks.length >= VM_LIMITS.disksMax}
          onClick={onCreateDisk}
          data-testid="create-disk"
        >
          Create a new disk…
        </button>
      </div>
    </fieldset>
  );
}
