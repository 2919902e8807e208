import type { ReactNode } from 'react';

/** The DOM id of a field's input, from its key (`disks.0.path` → `field-disks-0-path`). */
export function fieldId(key: string): string {
  return `field-${key.replace(/\./g, '-')}`;
}

/** Props every input of the form carries: its id, test id, error state and what describes it. */
export function inputProps(key: string, error: string | undefined, hasHint = false) {
  const id = fieldId(key);
  const describedBy = [
    error !== undefined && `${id}-error`,
    hasHint && error === undefined && `${id}-hint`,
  ].filter(Boolean);
  return {
    id,
    'data-field': key,
    'data-testid': id,
    'aria-invalid': error !== undefined,
    ...(describedBy.length > 0 && { 'aria-describedby': describedBy.join(' ') }),
  };
}

interface FieldProps {
  fieldKey: string;
  label: string;
  error: string | undefined;
  hint?: string;
  children: ReactNode;
  className?: string;
}

/** Label, input, then the error (or, without one, the hint): an error always sits under what it is about. */
export function Field({ fieldKey, label, error, hint, children, className }: FieldProps) {
  const id = fieldId(fieldKey);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint !== undefined && error === undefined && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error !== undefined && (
        <p className="field-error" id={`${id}-error`} data-testid={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

interface SelectFieldProps<T extends string> {
  fieldKey: string;
  label: string;
  error: string | undefined;
  hint?: string;
  value: T;
  /** Each choice with its words; in the order shown. */
  choices: Record<T, string>;
  onChange(value: T): void;
}

/** A field whose value is one of a fixed set (firmware, GPU, protocol…). */
export function SelectField<T extends string>({
  fieldKey,
  label,
  error,
  hint,
  value,
  choices,
  onChange,
}: SelectFieldProps<T>) {
  return (
    <Field fieldKey={fieldKey} label={label} error={error} {...(hint !== undefined && { hint })}>
      <select
        value={value}
        onChange={(e) => onChange(e.target.value as T)}
        {...inputProps(fieldKey, error, hint !== undefined)}
      >
        {(Object.entries(choices) as [T, string][]).map(([choice, text]) => (
          <option key={choice} value={choice}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}
