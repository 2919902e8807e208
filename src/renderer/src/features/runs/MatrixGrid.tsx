import type { MatrixCell, MatrixRecord } from '../../../../shared/run-matrix';
import { useRunsStore } from '../../stores/context';

function CellView({ matrix, cell, index }: { matrix: MatrixRecord; cell: MatrixCell; index: number }) {
  const picked = useRunsStore((s) => s.picked);
  const pick = useRunsStore((s) => s.pick);
  const show = useRunsStore((s) => s.show);
  const count = (...statuses: string[]) => cell.steps.filter((s) => statuses.includes(s.status)).length;
  const runId = cell.runId;
  const finished = runId !== null && cell.status !== 'running';
  return (
    <td data-testid={`run-matrix-${matrix.id}-cell-${index}`} className="run-matrix-cell">
      <span className={`run-status run-status-${cell.status}`}>{cell.status}</span>
      {cell.steps.length > 0 && (
        <span className="muted">
          {' '}
          {count('passed')} passed, {count('failed', 'timeout')} failed, {count('skipped')} skipped
        </span>
      )}
      {cell.message && <div className="muted">{cell.message}</div>}
      {runId !== null && (
        <div>
          <button
            type="button"
            className="link-button"
            onClick={() => show(runId)}
            data-testid={`run-matrix-${matrix.id}-run-${index}`}
          >
            <code>{runId}</code>
          </button>{' '}
          <label>
            <input
              type="checkbox"
              checked={picked.includes(runId)}
              onChange={() => pick(runId)}
              disabled={!finished}
              data-testid={`run-matrix-${matrix.id}-pick-${index}`}
            />{' '}
            compare
          </label>
        </div>
      )}
    </td>
  );
}

/**
 * A matrix's results as a grid: the first axis down, the second across (one column when it varies
 * one axis). Each cell shows its run's result, goes to its run's row, and can be picked for the diff.
 */
export function MatrixGrid({ matrix }: { matrix: MatrixRecord }) {
  const [down, across] = matrix.axes;
  if (!down) return null;
  const at = (row: string, column: string | undefined) =>
    matrix.cells.findIndex(
      (c) => c.values[down.axis] === row && (across === undefined || c.values[across.axis] === column),
    );
  const columns = across ? across.values : [undefined];
  return (
    <section
      className="run-matrix"
      data-testid={`run-matrix-${matrix.id}`}
      aria-label={`Matrix ${matrix.id}`}
    >
      <h3>
        Matrix <code>{matrix.id}</code> on {matrix.vm}:{' '}
        <span className={`run-status run-status-${matrix.status}`}>{matrix.status}</span>
        {matrix.label ? ` "${matrix.label}"` : ''}
      </h3>
      <table className="runs-table run-matrix-table">
        <thead>
          <tr>
            <th scope="col">
              {down.axis}
              {across ? ` \\ ${across.axis}` : ''}
            </th>
            {columns.map((c) => (
              <th scope="col" key={c ?? 'result'}>
                {c ?? 'result'}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {down.values.map((row) => (
            <tr key={row}>
              <th scope="row">{row}</th>
              {columns.map((column) => {
                const index = at(row, column);
                const cell = matrix.cells[index];
                return cell ? (
                  <CellView key={column ?? 'result'} matrix={matrix} cell={cell} index={index} />
                ) : (
                  <td key={column ?? 'result'} />
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{matrix.note}</p>
    </section>
  );
}
