import { hasNothingToBoot, NOTHING_TO_BOOT } from '../../../../shared/boot-media';
import { Field, inputProps } from './Field';
import { FileField } from './FileField';
import { formToInput } from './form-model';
import type { SectionProps } from './section-props';

/** What the VM starts from besides its disks: a CD-ROM image, or a Linux kernel booted directly. */
export function BootMediaSection({ form, errorOf, change, disabled }: SectionProps) {
  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Boot media</legend>
      {/* Here, where one is added (or a disk above): saving stays allowed, an empty VM is a choice. */}
      {hasNothingToBoot(formToInput(form)) && (
        <p className="notice notice-warning boot-warning" role="status" data-testid="editor-no-boot">
          {NOTHING_TO_BOOT} Its firmware would stop at “No bootable device”: add a disk above, or a CD-ROM
          image or a Linux kernel here.
        </p>
      )}
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
  );
}
