import { useVmStore } from '../../stores/vm-store';
import { EmptyState } from './EmptyState';
import { VmCard } from './VmCard';

export function VmList() {
  const vms = useVmStore((s) => s.vms);
  const stale = useVmStore((s) => s.connection === 'disconnected');
  if (vms === null) return <p className="muted">Loading VMs…</p>;
  if (vms.length === 0) return <EmptyState />;
  return (
    <section aria-labelledby="vms-title">
      <h2 id="vms-title" className="section-title">
        Virtual machines
      </h2>
      <ul className={stale ? 'vm-grid stale' : 'vm-grid'} data-testid="vm-list">
        {vms.map((vm) => (
          <VmCard key={vm.id} vm={vm} />
        ))}
      </ul>
    </section>
  );
}
