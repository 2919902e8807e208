import './host-badge.css';
import { useHostStore } from '../stores/context';

/** Says on every page when the host shown is not this machine: a simulated host above all. */
export function HostBadge() {
  const identity = useHostStore((s) => s.info?.host);
  if (!identity) return null;
  if (identity.simulated) {
    return (
      <span
        className="host-badge host-badge-simulated"
        data-testid="simulated-host-badge"
        title={identity.simulated.title}
      >
        Simulated host: {identity.simulated.name}
      </span>
    );
  }
  if (identity.root === '/') return null;
  return (
    <span className="host-badge" data-testid="host-root-badge" title="Facts are read from this directory">
      Host root: {identity.root}
    </span>
  );
}
