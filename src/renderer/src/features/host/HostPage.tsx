import { PageHead } from '../../components/PageHead';
import { UnreadableList } from '../../components/UnreadableList';
import { useHostStore } from '../../stores/context';
import { CheckRow } from './CheckRow';
import { UsbDevices } from './UsbDevices';
import './host.css';

/** The doctor as a checklist: what this host can do, and for each problem the fix to copy. */
export function HostPage() {
  const report = useHostStore((s) => s.report);
  const error = useHostStore((s) => s.error);
  const loading = useHostStore((s) => s.loading);
  const refresh = useHostStore((s) => s.refresh);
  return (
    <section aria-labelledby="host-title" className="host-page">
      <PageHead
        id="host"
        title="Can this host split its GPU?"
        loading={loading}
        idleLabel="Check again"
        busyLabel="Checking…"
        onRefresh={() => void refresh()}
        error={error}
        errorPrefix="Could not run the checks"
      />
      {report === null ? (
        <p className="muted">Checking the host…</p>
      ) : (
        <>
          <p className={`verdict verdict-${report.verdict.status}`} data-testid="doctor-verdict">
            {report.verdict.summary}
          </p>
          {report.host.simulated && (
            <p className="muted" data-testid="host-simulated-note">
              This is the simulated host <strong>{report.host.simulated.name}</strong>, built as:{' '}
              {report.host.simulated.title}. The checks below read it as it is now; the fixes are what a real
              host like it would need.
            </p>
          )}
          <ul className="check-list" data-testid="check-list">
            {report.checks.map((check) => (
              <CheckRow key={check.id} check={check} simulated={report.host.simulated !== null} />
            ))}
          </ul>
          <UnreadableList items={report.unreadable} testId="host-unreadable" />
        </>
      )}
      <UsbDevices />
    </section>
  );
}
