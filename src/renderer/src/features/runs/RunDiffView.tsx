import type { RunDiff } from '../../../../shared/run-record';

const result = (r: RunDiff['steps'][number]['a']) =>
  r ? `${r.status}${r.exitCode === null ? '' : ` (exit ${r.exitCode})`}` : 'not run';

/** Two runs side by side: setup differences first (host, firmware, driver, provisioning, QEMU), then steps, then probe lines. */
export function RunDiffView({ diff }: { diff: RunDiff }) {
  const same = diff.setup.length === 0 && diff.steps.length === 0 && diff.probes.length === 0;
  return (
    <section className="run-diff" data-testid="run-diff" aria-label="Differences between two runs">
      <table className="run-diff-table">
        <thead>
          <tr>
            <th scope="col">What</th>
            <th scope="col">
              {diff.a.id}
              {diff.a.label ? ` "${diff.a.label}"` : ''}
            </th>
            <th scope="col">
              {diff.b.id}
              {diff.b.label ? ` "${diff.b.label}"` : ''}
            </th>
          </tr>
        </thead>
        <tbody>
          {same && (
            <tr>
              <td colSpan={3} className="muted" data-testid="run-diff-none">
                No differences in setup, results or probe output.
              </td>
            </tr>
          )}
          {diff.setup.map((s, i) => (
            <tr key={`setup-${i}`} data-testid="run-diff-setup">
              <th scope="row">
                <span className={`run-diff-category run-diff-${s.category}`}>{s.category}</span> {s.key}
              </th>
              <td>{s.a ?? '—'}</td>
              <td>{s.b ?? '—'}</td>
            </tr>
          ))}
          {diff.steps.map((s) => (
            <tr key={`step-${s.name}`} data-testid="run-diff-step">
              <th scope="row">
                <span className="run-diff-category">step</span> {s.name}
              </th>
              <td>{result(s.a)}</td>
              <td>{result(s.b)}</td>
            </tr>
          ))}
          {diff.probes.map((p) => (
            <tr key={`probe-${p.step}`} data-testid="run-diff-probe">
              <th scope="row">
                <span className="run-diff-category">probe</span> {p.step}
              </th>
              <td>
                <pre>{p.onlyA.join('\n')}</pre>
              </td>
              <td>
                <pre>{p.onlyB.join('\n')}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
