import { useVmStore } from '../stores/context';

export function BackendBanner() {
  const connection = useVmStore((s) => s.connection);
  if (connection !== 'disconnected') return null;
  return (
    <div className="banner" role="alert" data-testid="backend-banner">
      <strong>Disconnected from the backend.</strong> Reconnecting… VMs keep running meanwhile. If this lasts,
      check that <code>tessera serve</code> is still running, or open the URL it printed again.
    </div>
  );
}
