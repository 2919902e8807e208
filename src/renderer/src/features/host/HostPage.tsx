import { useHostStore } from '../../stores/host-store';
import { CheckRow } from './CheckRow';
import './host.css';

/** The doctor as a checklist: what this host can do, and for each problem the fix to copy. */
export function HostPage() {
  const report = useHostStore((s) => s.report);
  const error = useHostStore((s) => s.error);
  const loading = useHostStore((s) => s.loading);
  const refresh = useHostStore((s) => s.refresh);
  return (
    <section aria-labelledby="host-title" className="host-page">
      <div className="page-head">
        <h2 id="host-title" className="section-title">
          Can this host split its GPU?
        </h2>
        <button
          type="button"
          className="button-quiet"
          onClick={() => void refresh()}
          disabled={loading}
          data-testid="host-refresh"
        >
          {loading ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {error !== null && (
        <p className="notice notice-error" role="alert" data-testid="host-error">
          Could not run the checks: {error}
        </p>
      )}
      {report === null ? (
        <p className="muted">Checking the host…</p>
      ) : (
        <>
          <p className={`verdict verdict-${report.verdict.status}`} data-testid="doctor-verdict">
            {report.verdict.summary}
          </p>
          {report.host.simulated && (
            <p className="muted" data-testid="host-simulated-note">
              This is the simulated host <strong>{report.host.simulated.name}</strong>:{' '}
              {report.host.simulated.title}. The fixes are what a real host like it would need.
            </p>
          )}
          <ul className="check-list" data-testid="check-list">
            {report.checks.map((check) => (
              <CheckRow key={check.id} check={check} simulated={report.host.simulated !== null} />
            ))}
          </ul>
          {report.unreadable.length > 0 && (
            <details className="unreadable" data-testid="host-unreadable">
              <summary>
                Could not read {report.unreadable.length}{' '}
                {report.unreadable.length === 1 ? 'thing' : 'things'}
              </summary>
              <ul>
                {report.unreadable.map((u) => (
                  <li key={`${u.path}:${u.reason}`}>{u.reason}</li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </section>
  );
}
