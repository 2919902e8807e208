import { useEffect } from 'react';
import { kioskWindowTitle } from '../../../../shared/kiosk';
import { formatRoute } from '../../navigation/route';
import { useKioskStore, useVmStore } from '../../stores/context';
import { SpiceScreen } from '../console/SpiceScreen';
import { VncScreen } from '../console/VncScreen';
import { hasLiveConsole } from '../../../../shared/vm-actions';
import { chordMatches } from './operator-chord';

/**
 * Tessera's kiosk window: the VM's screen full-window and nothing else. The title names the VM,
 * so the kiosk's watchdog finds this window among the X server's and keeps it on its monitor.
 * The operator chord (with a confirmation) is the one way back to the Kiosk page.
 */
export function KioskScreen({ id }: { id: string }) {
  const vm = useVmStore((s) => s.vms?.find((v) => v.id === id));
  const chord = useKioskStore((s) => s.settings.operatorChord);
  const entry = useKioskStore((s) => s.status?.entries.find((e) => e.vm === id));

  useEffect(() => {
    const before = document.title;
    document.title = kioskWindowTitle(id);
    return () => {
      document.title = before;
    };
  }, [id]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!chordMatches(chord, event)) return;
      event.preventDefault();
      if (window.confirm('Leave kiosk mode?')) location.hash = formatRoute({ view: 'kiosk' });
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, [chord]);

  const inactive = (
    <p className="kiosk-screen-note" data-testid="kiosk-screen-note">
      {vm ? `${vm.spec.name} is ${vm.state}` : `There is no VM ${id}`}
      {entry?.problem ? `: ${entry.problem}` : ''}
    </p>
  );
  return (
    <div className="kiosk-screen" data-testid={`kiosk-screen-${id}`}>
      {vm?.spec.display.kind === 'vnc' ? (
        <VncScreen
          vmId={vm.id}
          active={hasLiveConsole(vm.state)}
          scaling="fit"
          inactive={inactive}
          testId="kiosk-canvas"
          label={`Screen of ${vm.spec.name}`}
        />
      ) : vm?.spec.display.kind === 'spice' ? (
        <SpiceScreen
          vmId={vm.id}
          active={hasLiveConsole(vm.state)}
          inactive={inactive}
          testId="kiosk-canvas"
          label={`Screen of ${vm.spec.name}`}
        />
      ) : (
        inactive
      )}
    </div>
  );
}
