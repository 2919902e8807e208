import type { VmInfo, VmState } from '../../../../shared/vm-spec';
import { useVmStore, type VmAction } from '../../stores/vm-store';
import { formatCpus, formatMemory } from './format';
import { StateBadge } from './StateBadge';

const CAN_START: readonly VmState[] = ['stopped', 'crashed'];
const CAN_STOP: readonly VmState[] = ['running', 'paused'];
const CAN_KILL: readonly VmState[] = ['starting', 'running', 'paused', 'stopping'];
const FAILED: Record<VmAction, string> = {
  start: 'Could not start',
  stop: 'Could not stop',
  kill: 'Could not force off',
};

export function VmCard({ vm }: { vm: VmInfo }) {
  const busy = useVmStore((s) => s.busy[vm.id]);
  const error = useVmStore((s) => s.errors[vm.id]);
  const start = useVmStore((s) => s.start);
  const stop = useVmStore((s) => s.stop);
  const kill = useVmStore((s) => s.kill);
  // While disconnected the state shown may be stale and every call would fail anyway.
  const offline = useVmStore((s) => s.connection !== 'connected');
  const { id, state, spec } = vm;
  const headingId = `vm-${id}-name`;

  return (
    <li className="vm-card" data-testid={`vm-card-${id}`} aria-labelledby={headingId}>
      <div className="vm-card-head">
        <h3 className="vm-name" id={headingId}>
          {spec.name}
        </h3>
        <StateBadge id={id} state={state} />
      </div>
      <p className="vm-facts">
        {formatCpus(spec.cpus)} · {formatMemory(spec.memoryMiB)}
      </p>
      <div className="vm-actions">
        <button
          type="button"
          data-testid={`vm-${id}-start`}
          disabled={offline || busy !== undefined || !CAN_START.includes(state)}
          onClick={() => void start(id)}
        >
          {busy === 'start' ? 'Starting…' : 'Start'}
        </button>
        <button
          type="button"
          data-testid={`vm-${id}-stop`}
          disabled={offline || busy !== undefined || !CAN_STOP.includes(state)}
          onClick={() => void stop(id)}
          title="Ask the guest to shut down (ACPI); forced off after 60 s"
        >
          {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
        <button
          type="button"
          className="button-danger"
          data-testid={`vm-${id}-kill`}
          // Stays usable while a stop waits on a guest that ignores ACPI, or a start hangs.
          disabled={offline || busy === 'kill' || !CAN_KILL.includes(state)}
          onClick={() => void kill(id)}
          title="Turn the VM off at once, like pulling the plug"
        >
          {busy === 'kill' ? 'Forcing off…' : 'Force off'}
        </button>
      </div>
      {error !== undefined && (
        <p className="vm-error" role="alert" data-testid={`vm-${id}-error`}>
          {FAILED[error.action]}: {error.message}
        </p>
      )}
      {error === undefined && vm.lastError && state !== 'running' && (
        <details className="vm-last-error" data-testid={`vm-${id}-last-error`}>
          <summary>Last run ended: {vm.lastError.message}</summary>
          {vm.lastError.logTail.length > 0 && <pre>{vm.lastError.logTail.join('\n')}</pre>}
        </details>
      )}
    </li>
  );
}
