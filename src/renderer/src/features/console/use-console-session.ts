import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { messageOf } from '../../stores/failure';

export type SessionStatus =
  | { phase: 'inactive' }
  | { phase: 'connecting' }
  | { phase: 'open' }
  | { phase: 'retrying'; message: string };

export interface SessionCallbacks {
  /** The console answered: the session is live. */
  opened(): void;
  /** It ended; the hook reconnects while the session is wanted. */
  closed(message: string): void;
}

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s: quick after a reboot, quiet while something is broken. */
export function retryDelayMs(failures: number): number {
  return Math.min(500 * 2 ** failures, 5000);
}

/**
 * Keep one console session alive while `active`: start it, and when it ends start it again with a
 * fresh token (tokens are one-time). `start` returns how to tear the session down.
 */
export function useConsoleSession(
  active: boolean,
  start: (callbacks: SessionCallbacks) => Promise<() => void>,
): SessionStatus {
  const [status, setStatus] = useState<SessionStatus>({ phase: active ? 'connecting' : 'inactive' });
  const [attempt, setAttempt] = useState(0);
  const failures = useRef(0);
  // The latest start function, without restarting the session each render.
  const startRef = useRef(start);
  useLayoutEffect(() => {
    startRef.current = start;
  });

  useEffect(() => {
    if (!active) {
      failures.current = 0;
      setStatus({ phase: 'inactive' });
      return;
    }
    let disposed = false;
    let stop: (() => void) | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const retryLater = (message: string) => {
      if (disposed || retry !== undefined) return;
      setStatus({ phase: 'retrying', message });
      retry = setTimeout(() => setAttempt((a) => a + 1), retryDelayMs(failures.current++));
    };
    setStatus({ phase: 'connecting' });
    startRef
      .current({
        opened() {
          if (disposed) return;
          failures.current = 0;
          setStatus({ phase: 'open' });
        },
        closed: retryLater,
      })
      .then(
        (teardown) => {
          if (disposed) teardown();
          else stop = teardown;
        },
        (error: unknown) => retryLater(messageOf(error)),
      );
    return () => {
      disposed = true;
      if (retry !== undefined) clearTimeout(retry);
      stop?.();
    };
  }, [active, attempt]);

  return status;
}

/**
 * A console WebSocket with binary frames as ArrayBuffers. Callers never print the URL or the
 * socket's `url`: it holds the token.
 */
export function openConsoleSocket(url: string, protocols: string[] = ['binary']): WebSocket {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = 'arraybuffer';
  return socket;
}
