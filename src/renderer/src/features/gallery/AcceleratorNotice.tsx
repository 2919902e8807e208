import { acceleratorNote, isForcedAccelerator } from '../../../../shared/accelerator-note';
import { formatRoute } from '../../navigation/route';
import { useHostStore } from '../../stores/context';

/** Why guests are slow, when the backend refused KVM (a forced TCG is the user's own choice). */
export function AcceleratorNotice() {
  const host = useHostStore((s) => s.info);
  if (!host || isForcedAccelerator(host.acceleratorReason)) return null;
  const note = acceleratorNote({ accelerator: host.accelerator, reason: host.acceleratorReason });
  if (note === null) return null;
  return (
    <p className="notice notice-warning" role="status" data-testid="accelerator-notice">
      {note} <a href={formatRoute({ view: 'host' })}>Each finding and its fix are on the Host page.</a>
    </p>
  );
}
