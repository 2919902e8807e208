import { useEffect, useState } from 'react';
import { PageHead } from '../../components/PageHead';
import { useRunsStore } from '../../stores/context';
import { MatrixGrid } from './MatrixGrid';
import { NewRunDialog } from './NewRunDialog';
import { RunDiffView } from './RunDiffView';
import './runs.css';

/** Validation runs: each one's result, a New run dialog, and two picked runs side by side. */
export function RunsPage() {
  const runs = useRunsStore((s) => s.runs);
  const invalid = useRunsStore((s) => s.invalid);
  const loading = useRunsStore((s) => s.loading);
  const error = useRunsStore((s) => s.error);
  const refresh = useRunsStore((s) => s.refresh);
  const picked = useRunsStore((s) => s.picked);
  const pick = useRunsStore((s) => s.pick);
  const diff = useRunsStore((s) => s.diff);
  const diffError = useRunsStore((s) => s.diffError);
  const matrices = useRunsStore((s) => s.matrices);
  const shown = useRunsStore((s) => s.shown);
  const [dialog, setDialog] = useState(false);
  useEffect(() => {
    if (shown !== null) document.getElementById(`run-${shown}`)?.scrollIntoView({ block: 'center' });
  }, [shown]);
  return (
    <section aria-labelledby="runs-title" className="runs-page">
      <PageHead
        id="runs"
        title="Validation runs"
        loading={loading}
        idleLabel="Refresh"
        busyLabel="Reading…"
        onRefresh={() => void refresh()}
        error={error}
        errorPrefix="Could not read the runs"
      />
      <p>
        <button
          type="button"
          className="button-primary"
          onClick={() => setDialog(true)}
          data-testid="run-new"
        >
          New run
        </button>{' '}
        <span className="muted">Pick two runs to see what differs between them.</span>
      </p>
      <NewRunDialog open={dialog} onClose={() => setDialog(false)} />
      {runs.length === 0 ? (
        <p className="muted" data-testid="runs-empty">
          No runs yet. A run starts a VM, runs a plan's steps in the guest and keeps a record with JUnit XML.
        </p>
      ) : (
        <table className="runs-table">
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Run</th>
              <th scope="col">VM</th>
              <th scope="col">Status</th>
              <th scope="col">Transport</th>
              <th scope="col">Steps</th>
              <th scope="col">Label</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr
                key={r.id}
                id={`run-${r.id}`}
                data-testid={`run-row-${r.id}`}
                className={shown === r.id ? 'run-row-shown' : undefined}
              >
                <td>
                  <input
                    type="checkbox"
                    checked={picked.includes(r.id)}
                    onChange={() => pick(r.id)}
                    aria-label={`compare run ${r.id}`}
                    disabled={r.status === 'running'}
                    data-testid={`run-pick-${r.id}`}
                  />
                </td>
                <td>
                  <code>{r.id}</code>
                </td>
                <td>
                  {r.vm}
                  {r.simulated && <span className="tag tag-simulated">simulated host</span>}
                </td>
                <td>
                  <span className={`run-status run-status-${r.status}`} data-testid={`run-status-${r.id}`}>
                    {r.status}
                  </span>
                </td>
                <td>{r.transport ?? '—'}</td>
                <td>
                  {r.passed} passed, {r.failed + r.timeout} failed, {r.skipped} skipped
                </td>
                <td>{r.label ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {matrices.map((m) => (
        <MatrixGrid key={m.id} matrix={m} />
      ))}
      {invalid.map((i) => (
        <p key={i.id} className="notice notice-warning">
          Run {i.id} could not be read: {i.reason}
        </p>
      ))}
      {diffError !== null && (
        <p className="notice notice-error" role="alert">
          Could not compare: {diffError}
        </p>
      )}
      {diff && <RunDiffView diff={diff} />}
    </section>
  );
}
