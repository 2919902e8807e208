import type { ReactNode } from 'react';
import type { SessionStatus } from './use-console-session';

/** What covers a console while it is not live: why, and what happens next. */
export function SessionOverlay({ status, inactive }: { status: SessionStatus; inactive: ReactNode }) {
  if (status.phase === 'open') return null;
  return (
    <div className="screen-overlay" role="status" data-testid="console-status" data-phase={status.phase}>
      {status.phase === 'inactive' && inactive}
      {status.phase === 'connecting' && <p>Connecting…</p>}
      {status.phase === 'retrying' && <p>{status.message} Reconnecting…</p>}
    </div>
  );
}
