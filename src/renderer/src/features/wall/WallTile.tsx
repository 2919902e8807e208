import type RFB from '@novnc/novnc';
import { useEffect, useState } from 'react';
import { hasScreen, type VmInfo } from '../../../../shared/vm-spec';
import { VmActionButton } from '../gallery/VmActionButton';
import { formatRoute } from '../../navigation/route';
import { hasGraphics } from '../console/console-tabs';
import { StoppedNotice } from '../console/StoppedNotice';
import { VncScreen } from '../console/VncScreen';
import { StateBadge } from '../gallery/StateBadge';
import { hasLiveConsole } from '../gallery/vm-actions';
import { VmThumbnail } from '../gallery/VmThumbnail';

interface WallTileProps {
  vm: VmInfo;
  cell: number;
  focused: boolean;
  onFocus(): void;
}

/**
 * One live console on the wall. Only the focused tile takes input; the others are view-only, so
 * a stray pointer over them reaches no guest.
 */
export function WallTile({ vm, cell, focused, onFocus }: WallTileProps) {
  const [rfb, setRfb] = useState<RFB | null>(null);
  useEffect(() => {
    if (focused) rfb?.focus({ preventScroll: true });
    else rfb?.blur();
  }, [focused, rfb]);

  return (
    <li
      className={focused ? 'wall-tile focused' : 'wall-tile'}
      data-testid={`wall-tile-${vm.id}`}
      aria-current={focused ? 'true' : undefined}
      onMouseDownCapture={onFocus}
    >
      <div className="wall-tile-head">
        <button
          type="button"
          className="cell-number"
          onClick={onFocus}
          aria-label={`Focus ${vm.spec.name} (Alt+${cell + 1})`}
        >
          {cell + 1}
        </button>
        <span className="wall-name">{vm.spec.name}</span>
        <StateBadge id={`wall-${vm.id}`} state={vm.state} />
        {focused && <span className="grab-state grab-on">keyboard</span>}
        <VmActionButton vm={vm} action="start" className="button-ghost" testId={`wall-${vm.id}-start`} />
        <VmActionButton vm={vm} action="stop" className="button-ghost" testId={`wall-${vm.id}-stop`} />
        <a className="wall-open" href={formatRoute({ view: 'console', id: vm.id, tab: null })}>
          Console
        </a>
      </div>
      {vm.spec.display.kind === 'local' && hasScreen(vm.spec) ? (
        <div className="wall-preview">
          <VmThumbnail vm={vm} />
          <p className="wall-note">Shown in QEMU’s own window on this host’s monitor; here as a preview.</p>
        </div>
      ) : !hasGraphics(vm.spec) ? (
        <p className="wall-note">No graphical display: open its serial console.</p>
      ) : vm.spec.display.kind === 'spice' ? (
        // spice-html5 names its canvases by fixed DOM ids, so one page holds one SPICE session.
        <div className="wall-preview">
          <VmThumbnail vm={vm} />
          <p className="wall-note">SPICE shows here as a preview; open the console to type.</p>
        </div>
      ) : (
        <VncScreen
          vmId={vm.id}
          active={hasLiveConsole(vm.state)}
          scaling="fit"
          viewOnly={!focused}
          inactive={<StoppedNotice vm={vm} />}
          onRfb={setRfb}
          testId={`wall-screen-${vm.id}`}
          label={`Screen of ${vm.spec.name}`}
        />
      )}
    </li>
  );
}
