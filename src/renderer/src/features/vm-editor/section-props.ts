import type { VmForm } from './form-model';

/** What every section of the editor gets: the form, its errors as shown, and how to change it. */
export interface SectionProps {
  form: VmForm;
  errorOf(key: string): string | undefined;
  change(patch: Partial<VmForm>): void;
  /** While the VM runs or a save is in flight. */
  disabled: boolean;
}
