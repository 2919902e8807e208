import RFB from '@novnc/novnc';
import { useEffect, useRef, type ReactNode } from 'react';
import type { Settings } from '../../../../shared/settings';
import { useConsoleStore } from '../../stores/context';
import { SessionOverlay } from './SessionOverlay';
import { openConsoleSocket, useConsoleSession, type SessionStatus } from './use-console-session';
import './console.css';

export type Scaling = Settings['console']['scaling'];

interface VncScreenProps {
  vmId: string;
  /** The VM runs (or is paused): connect, and reconnect after every loss. */
  active: boolean;
  scaling: Scaling;
  /** No keyboard or pointer goes to the guest (the wall's unfocused tiles). */
  viewOnly?: boolean;
  /** Shown instead of the screen while the VM is not running. */
  inactive: ReactNode;
  /** The live RFB once connected, null otherwise: for toolbars. */
  onRfb?(rfb: RFB | null): void;
  onStatus?(status: SessionStatus): void;
  testId?: string;
  label: string;
}

function applyScaling(rfb: RFB, scaling: Scaling) {
  rfb.scaleViewport = scaling === 'fit';
  rfb.clipViewport = false;
}

/** noVNC's RFB on a one-time token bridge to the VM's VNC socket; the guest's resolution changes resize it. */
export function VncScreen({
  vmId,
  active,
  scaling,
  viewOnly = false,
  inactive,
  onRfb,
  onStatus,
  testId,
  label,
}: VncScreenProps) {
  const openConsole = useConsoleStore((s) => s.openConsole);
  const target = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const options = useRef({ scaling, viewOnly, onRfb });
  useEffect(() => {
    options.current = { scaling, viewOnly, onRfb };
    const rfb = rfbRef.current;
    if (!rfb) return;
    applyScaling(rfb, scaling);
    rfb.viewOnly = viewOnly;
  }, [scaling, viewOnly, onRfb]);

  const status = useConsoleSession(active, async ({ opened, closed }) => {
    const url = await openConsole(vmId, 'vnc');
    const element = target.current;
    if (!element) throw new Error('the console element is gone');
    const rfb = new RFB(element, openConsoleSocket(url), { shared: true });
    applyScaling(rfb, options.current.scaling);
    rfb.viewOnly = options.current.viewOnly;
    rfb.background = 'transparent';
    rfb.qualityLevel = 8;
    let ended = false;
    rfb.addEventListener('connect', () => {
      rfbRef.current = rfb;
      options.current.onRfb?.(rfb);
      opened();
    });
    rfb.addEventListener('disconnect', () => {
      ended = true;
      if (rfbRef.current === rfb) rfbRef.current = null;
      options.current.onRfb?.(null);
      closed('The console connection closed.');
    });
    rfb.addEventListener('securityfailure', (e) =>
      closed(`The VNC server refused the session${e.detail.reason ? `: ${e.detail.reason}` : ''}.`),
    );
    return () => {
      if (rfbRef.current === rfb) rfbRef.current = null;
      options.current.onRfb?.(null);
      if (!ended) rfb.disconnect();
    };
  });

  useEffect(() => onStatus?.(status), [status, onStatus]);

  return (
    <div className={`screen screen-${scaling}`}>
      <div
        ref={target}
        className="screen-target"
        data-testid={testId}
        aria-label={label}
        role="application"
      />
      <SessionOverlay status={status} inactive={inactive} />
    </div>
  );
}
