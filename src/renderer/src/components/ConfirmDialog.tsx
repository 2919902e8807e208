import type { ReactNode } from 'react';
import { useModal } from '../hooks/use-modal';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
  testId: string;
}

/**
 * A modal question with a safe default: the native <dialog> traps focus, Esc cancels, and the
 * focus starts on Cancel so a stray Enter does not destroy anything.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  testId,
}: ConfirmDialogProps) {
  const ref = useModal(open);

  return (
    <dialog
      ref={ref}
      className="dialog"
      onClose={onCancel}
      aria-labelledby={`${testId}-title`}
      data-testid={testId}
    >
      <h2 id={`${testId}-title`}>{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="button-danger-solid"
          data-testid={`${testId}-confirm`}
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
