import type { ReactNode } from 'react';

interface RowListProps<T> {
  rows: readonly T[];
  /** Names the rows in test ids: `disk` gives `disk-row-0`, `disk-row-1`… */
  testId: string;
  /** What one row is, for its Remove button's label ("Remove disk 2"). */
  noun: string;
  renderRow(row: T, index: number): ReactNode;
  onChange(rows: T[]): void;
  /** The button that adds a row, greyed at the contract's limit. */
  add: { label: string; testId: string; limit: number; row(): T };
  /** More under the list, beside the add button: a second button, a hint. */
  children?: ReactNode;
}

/** A list of like rows in the editor (disks, forwards, USB and input devices): each removable, one more addable. */
export function RowList<T>({ rows, testId, noun, renderRow, onChange, add, children }: RowListProps<T>) {
  return (
    <>
      <ol className="rows">
        {rows.map((row, index) => (
          <li className="row" key={index} data-testid={`${testId}-row-${index}`}>
            {renderRow(row, index)}
            <button
              type="button"
              className="button-ghost button-danger"
              aria-label={`Remove ${noun} ${index + 1}`}
              onClick={() => onChange(rows.filter((_, i) => i !== index))}
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
          disabled={rows.length >= add.limit}
          onClick={() => onChange([...rows, add.row()])}
          data-testid={add.testId}
        >
          {add.label}
        </button>
        {children}
      </div>
    </>
  );
}

/** The rows with one changed: what every row's own fields do. */
export function withRow<T>(rows: readonly T[], index: number, update: (row: T) => T): T[] {
  return rows.map((r, i) => (i === index ? update(r) : r));
}
