import { formatResetSchedule } from '../../../../shared/images';
import { useBoothStore } from '../../stores/context';

const time = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' });

/** A card's line for a VM on a golden image: image and version, next and last reset. */
export function GoldenLine({ id }: { id: string }) {
  const status = useBoothStore((s) => s.status[id]);
  if (!status) return null;
  const schedule = formatResetSchedule(status.schedule);
  return (
    <p className="vm-golden" data-testid={`vm-${id}-golden`}>
      <span className="label">Golden</span> {status.image}
      {status.version !== null ? ` v${status.version}` : ''}
      {' · '}
      <span data-testid={`vm-${id}-next-reset`}>
        {status.nextResetAt
          ? `next reset ${time(status.nextResetAt)}`
          : schedule === 'off'
            ? 'reset on demand'
            : schedule === 'on-stop'
              ? 'fresh every boot'
              : `reset ${schedule}`}
      </span>
      {' · '}
      <span data-testid={`vm-${id}-last-reset`} title={status.lastReset?.reason}>
        {status.lastReset
          ? `last ${status.lastReset.mode} reset ${time(status.lastReset.at)}`
          : 'never reset'}
      </span>
    </p>
  );
}
