import type { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import { useCallback, useRef, useState } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { hasLiveConsole } from '../../../../shared/vm-actions';
import { GraphicsToolbar } from './GraphicsToolbar';
import { sendSpiceKeys } from './spice-client';
import { SpiceScreen } from './SpiceScreen';
import { StoppedNotice } from './StoppedNotice';
import { useFullscreen } from './use-fullscreen';
import { useKeyboardGrab } from './use-keyboard-grab';

/** The SPICE console. What spice-html5 cannot do (scaling, paste) is said, not silently missing. */
export function SpicePane({ vm, visible }: { vm: VmInfo; visible: boolean }) {
  const [connection, setConnection] = useState<SpiceMainConn | null>(null);
  const pane = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const [fullscreen, toggleFullscreen] = useFullscreen(pane);
  const release = useCallback(() => {
    (document.activeElement as HTMLElement | null)?.blur();
  }, []);
  const grabbed = useKeyboardGrab(screen, release);

  return (
    <div ref={pane} className="console-pane" data-visible={visible}>
      <GraphicsToolbar
        connected={connection !== null}
        grabbed={grabbed}
        onGrab={() => screen.current?.querySelector<HTMLElement>('canvas')?.focus()}
        onRelease={release}
        onKeys={(combo) => connection && void sendSpiceKeys(connection, combo.keys)}
        fullscreen={fullscreen}
        onFullscreen={toggleFullscreen}
      >
        <span className="hint" data-testid="spice-limits">
          SPICE in the browser shows the screen at its own size and cannot paste text; use a VNC display for
          those.
        </span>
      </GraphicsToolbar>
      <div ref={screen} className={grabbed ? 'screen-frame grabbed' : 'screen-frame'}>
        <SpiceScreen
          vmId={vm.id}
          active={hasLiveConsole(vm.state)}
          inactive={<StoppedNotice vm={vm} />}
          onConnection={setConnection}
          testId="console-canvas"
          label={`Screen of ${vm.spec.name}`}
        />
      </div>
    </div>
  );
}
