import type { VmState } from '../../../../shared/vm-spec';

export function StateBadge({ id, state }: { id: string; state: VmState }) {
  return (
    <span className={`badge badge-${state}`} data-testid={`vm-${id}-state`}>
      {state}
    </span>
  );
}
