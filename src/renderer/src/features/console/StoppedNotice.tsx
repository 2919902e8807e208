import type { VmInfo } from '../../../../shared/vm-spec';
import { VmActionButton } from '../gallery/VmActionButton';
import { canStart } from '../gallery/vm-actions';
import './console.css';

const HEADLINES: Record<VmInfo['state'], string> = {
  stopped: 'VM stopped',
  crashed: 'VM crashed',
  starting: 'VM starting…',
  stopping: 'VM shutting down…',
  running: 'VM running',
  paused: 'VM paused',
};

/** What a console shows while its VM is not running; it reconnects by itself once the VM starts. */
export function StoppedNotice({ vm }: { vm: VmInfo }) {
  return (
    <div className="stopped-notice" data-testid="console-stopped">
      <p className="stopped-headline">{HEADLINES[vm.state]}</p>
      {vm.state === 'crashed' && vm.lastError && <p className="muted">{vm.lastError.message}</p>}
      {canStart(vm.state) && (
        <>
          <p className="muted">The console reconnects as soon as the VM runs again.</p>
          <VmActionButton vm={vm} action="start" testId="console-start" />
        </>
      )}
    </div>
  );
}
