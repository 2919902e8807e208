import type { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';
import { useConsoleStore } from '../../stores/context';
import { SessionOverlay } from './SessionOverlay';
import { loadSpice } from './spice-client';
import { redactConsoleUrls } from './redact';
import { useConsoleSession } from './use-console-session';
import './console.css';

interface SpiceScreenProps {
  vmId: string;
  active: boolean;
  inactive: ReactNode;
  onConnection?(connection: SpiceMainConn | null): void;
  testId?: string;
  label: string;
}

/**
 * spice-html5 on a token bridge to the VM's SPICE socket. It draws at the guest's own size (its
 * pointer maths assume an unscaled canvas), so the pane scrolls instead of scaling.
 */
export function SpiceScreen({ vmId, active, inactive, onConnection, testId, label }: SpiceScreenProps) {
  const openConsole = useConsoleStore((s) => s.openConsole);
  // spice-html5 finds its screen by DOM id; colons from useId are valid in ids.
  const screenId = `spice-${useId()}`;
  const callback = useRef(onConnection);
  useLayoutEffect(() => {
    callback.current = onConnection;
  });

  // spice-html5 looks its canvases up by id while stopping, so it must stop while they are still
  // in the document: a layout effect's cleanup runs before React removes the DOM, a passive one after.
  const stopCurrent = useRef<(() => void) | null>(null);
  useLayoutEffect(() => () => stopCurrent.current?.(), []);

  const status = useConsoleSession(active, async ({ opened, closed }) => {
    const [spice, url] = await Promise.all([loadSpice(), openConsole(vmId, 'spice')]);
    let stopped = false;
    const connection = new spice.SpiceMainConn({
      uri: url,
      password: '',
      screen_id: screenId,
      onsuccess: () => {
        callback.current?.(connection);
        opened();
      },
      onerror: (error) => {
        callback.current?.(null);
        if (!stopped) closed(redactConsoleUrls(error.message));
      },
    });
    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (stopCurrent.current === stop) stopCurrent.current = null;
      callback.current?.(null);
      connection.stop();
    };
    stopCurrent.current = stop;
    return stop;
  });

  return (
    <div className="screen screen-native">
      <div
        id={screenId}
        className="screen-target spice-target"
        data-testid={testId}
        aria-label={label}
        role="application"
      />
      <SessionOverlay status={status} inactive={inactive} />
    </div>
  );
}
