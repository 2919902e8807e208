import type { ChooseFileRequest } from '../../../../shared/desktop-bridge';
import { desktopBridge } from '../../transport/desktop';
import { Field, fieldId, inputProps } from './Field';
import { usePathCheck } from './use-path-check';

interface FileFieldProps {
  fieldKey: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error: string | undefined;
  purpose: ChooseFileRequest['purpose'];
  /** A disk the VM writes must be writable, not only readable. */
  needsWrite?: boolean;
  placeholder?: string;
}

/**
 * A host path. The browser front cannot see the host's files, so the path is typed and the
 * backend says whether it exists; the desktop app adds its native file dialog.
 */
export function FileField({
  fieldKey,
  label,
  value,
  onChange,
  error,
  purpose,
  needsWrite = false,
  placeholder,
}: FileFieldProps) {
  const check = usePathCheck(value, needsWrite);
  const desktop = desktopBridge();
  // One message at the field: an error (the form's own, or the backend's preflight saying the file
  // is missing) takes the place of the path check, which would only say the same thing again.
  const hint =
    error === undefined && (check.state === 'ok' || check.state === 'problem') ? check.text : undefined;
  return (
    <Field fieldKey={fieldKey} label={label} error={error} className="field-file">
      <div className="input-row">
        <input
          type="text"
          spellCheck={false}
          autoComplete="off"
          value={value}
          placeholder={placeholder ?? '/path/on/the/host'}
          onChange={(e) => onChange(e.target.value)}
          {...inputProps(fieldKey, error, hint !== undefined)}
        />
        {desktop && (
          <button
            type="button"
            className="button-secondary"
            onClick={() =>
              void desktop.chooseFile({ purpose }).then((chosen) => {
                if (chosen !== null) onChange(chosen);
              })
            }
          >
            Browse…
          </button>
        )}
      </div>
      {hint !== undefined && (
        <p
          className={check.state === 'ok' ? 'path-check path-ok' : 'path-check path-problem'}
          id={`${fieldId(fieldKey)}-hint`}
          data-testid={`${fieldId(fieldKey)}-check`}
        >
          {check.state === 'ok' ? '✓ ' : '⚠ '}
          {hint}
        </p>
      )}
    </Field>
  );
}
