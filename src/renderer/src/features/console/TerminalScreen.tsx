import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, type ReactNode } from 'react';
import { CONSOLE_CLOSE_REASONS, type ConsoleControlMessage } from '../../../../shared/console-messages';
import { SessionOverlay } from './SessionOverlay';
import { fitCells } from './terminal-fit';
import { isReleaseHotkey } from './use-keyboard-grab';
import { openConsoleSocket, useConsoleSession } from './use-console-session';

interface TerminalScreenProps {
  /** Connect while true; reconnect after each loss. */
  active: boolean;
  /** A fresh one-time WebSocket URL for the session. */
  open(): Promise<string>;
  /**
   * A pseudo-terminal wants `{"type":"resize",cols,rows}` text frames; a serial line or the
   * monitor has no window size to tell.
   */
  sendsResize: boolean;
  /** The backend replays its scrollback on every connection, so the old screen is cleared first. */
  replaysScrollback: boolean;
  inactive: ReactNode;
  /** Whether its tab shows: a hidden terminal cannot be measured, so it is fitted when shown. */
  visible: boolean;
  testId: string;
  label: string;
}

/** Room for xterm.js's overlay scrollbar. */
const SCROLLBAR_PX = 14;
const encoder = new TextEncoder();

/** xterm.js over a console bridge: bytes both ways in binary frames. */
export function TerminalScreen({
  active,
  open,
  sendsResize,
  replaysScrollback,
  inactive,
  visible,
  testId,
  label,
}: TerminalScreenProps) {
  const host = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const socket = useRef<WebSocket | null>(null);

  const fitRef = useRef<() => void>(() => undefined);
  const sendSizeRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const term = new Terminal({
      fontFamily: "'DejaVu Sans Mono', 'Liberation Mono', ui-monospace, monospace",
      fontSize: 14,
      scrollback: 5000,
      cursorBlink: true,
      theme: {
        background: '#101317',
        foreground: '#e6e9ee',
        cursor: '#8dbbff',
        selectionBackground: '#35507a',
      },
    });
    term.open(element);
    terminal.current = term;
    // A terminal keeps Tab, Shift+Tab and Esc for its program (a shell completes with Tab), so
    // the keyboard leaves it by the same key as the graphical screen's (Shift+F12), to its tab.
    term.attachCustomKeyEventHandler((event) => {
      if (!isReleaseHotkey(event)) return true;
      if (event.type === 'keydown') {
        event.preventDefault();
        const label = element.closest('[role="tabpanel"]')?.getAttribute('aria-labelledby');
        const tab = label ? document.getElementById(label) : null;
        term.blur();
        tab?.focus();
      }
      return false;
    });
    sendSizeRef.current = () => {
      const ws = socket.current;
      if (!sendsResize || ws?.readyState !== WebSocket.OPEN) return;
      const message: ConsoleControlMessage = { type: 'resize', cols: term.cols, rows: term.rows };
      ws.send(JSON.stringify(message));
    };
    fitRef.current = () => {
      const grid = element.querySelector<HTMLElement>('.xterm-screen');
      if (!grid || term.cols === 0 || term.rows === 0) return;
      const size = fitCells(
        { width: element.clientWidth, height: element.clientHeight },
        { width: grid.offsetWidth / term.cols, height: grid.offsetHeight / term.rows },
        SCROLLBAR_PX,
      );
      if (size && (size.cols !== term.cols || size.rows !== term.rows)) term.resize(size.cols, size.rows);
    };
    const typed = term.onData((data) => {
      if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(encoder.encode(data));
    });
    const binary = term.onBinary((data) => {
      if (socket.current?.readyState === WebSocket.OPEN) {
        socket.current.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
      }
    });
    const resized = term.onResize(() => sendSizeRef.current());
    const observer = new ResizeObserver(() => fitRef.current());
    observer.observe(element);
    return () => {
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      resized.dispose();
      term.dispose();
      terminal.current = null;
    };
    // One terminal per mount: its scrollback must outlive reconnects.
  }, [sendsResize]);

  useEffect(() => {
    if (!visible) return;
    fitRef.current();
    terminal.current?.focus();
  }, [visible]);

  const status = useConsoleSession(active, async ({ opened, closed }) => {
    const url = await open();
    const ws = openConsoleSocket(url, []);
    socket.current = ws;
    ws.addEventListener('open', () => {
      if (replaysScrollback) terminal.current?.reset();
      opened();
      sendSizeRef.current();
    });
    ws.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
      terminal.current?.write(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
    });
    ws.addEventListener('close', (event) => {
      if (socket.current === ws) socket.current = null;
      closed(
        event.reason === CONSOLE_CLOSE_REASONS.vmStopped
          ? 'The VM stopped.'
          : 'The console connection closed.',
      );
    });
    return () => {
      if (socket.current === ws) socket.current = null;
      ws.close();
    };
  });

  return (
    <div className="screen screen-terminal">
      <div
        ref={host}
        className="terminal-host"
        data-testid={testId}
        aria-label={label}
        aria-describedby={`${testId}-keys`}
      />
      <SessionOverlay status={status} inactive={inactive} />
      <p className="terminal-keys muted" id={`${testId}-keys`} data-testid={`${testId}-keys`}>
        Keys go to the terminal, Tab and Esc too · <kbd>Shift+F12</kbd> leaves it
      </p>
    </div>
  );
}
