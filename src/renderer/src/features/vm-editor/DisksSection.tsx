import { VM_LIMITS } from '../../../../shared/vm-spec';
import { SelectField } from './Field';
import { FileField } from './FileField';
import { newDiskRow, type DiskRow } from './form-model';
import { RowList, withRow } from './RowList';
import type { SectionProps } from './section-props';

const DISK_FORMATS: Record<DiskRow['format'], string> = { qcow2: 'qcow2', raw: 'raw' };
const DISK_BUSES: Record<DiskRow['bus'], string> = {
  virtio: 'virtio (fastest; Windows needs virtio-win)',
  sata: 'SATA',
  nvme: 'NVMe',
};

/** The VM's disks in boot order: existing images by path, or new ones made with qemu-img. */
export function DisksSection({
  form,
  errorOf,
  change,
  disabled,
  onCreateDisk,
}: SectionProps & { onCreateDisk(): void }) {
  const changeDisk = (index: number, patch: Partial<DiskRow>) =>
    change({ disks: withRow(form.disks, index, (d) => ({ ...d, ...patch })) });
  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Disks</legend>
      {form.disks.length === 0 && (
        <p className="muted">No disks. The VM boots from a CD-ROM or a kernel below.</p>
      )}
      <RowList
        rows={form.disks}
        testId="disk"
        noun="disk"
        onChange={(disks) => change({ disks })}
        add={{
          label: 'Add an existing disk',
          testId: 'add-disk',
          limit: VM_LIMITS.disksMax,
          row: () => newDiskRow(form, { path: '', format: 'qcow2' }),
        }}
        renderRow={(disk, index) => (
          <>
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
            <SelectField
              fieldKey={`disks.${index}.bus`}
              label="Bus"
              error={errorOf(`disks.${index}.bus`) ?? errorOf(`disks.${index}.readOnly`)}
              value={disk.bus}
              choices={DISK_BUSES}
              onChange={(bus) => changeDisk(index, { bus })}
            />
            <label className="checkbox">
              <input
                type="checkbox"
                checked={disk.readOnly}
                onChange={(e) => changeDisk(index, { readOnly: e.target.checked })}
              />
              Read-only
            </label>
          </>
        )}
      >
        <button
          type="button"
          className="button-secondary"
          disabled={form.disks.length >= VM_LIMITS.disksMax}
          onClick={onCreateDisk}
          data-testid="create-disk"
        >
          Create a new disk…
        </button>
      </RowList>
    </fieldset>
  );
}
