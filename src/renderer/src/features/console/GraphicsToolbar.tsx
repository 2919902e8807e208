import type { ReactNode } from 'react';
import { KeyMenu } from './KeyMenu';
import { CTRL_ALT_DEL, type KeyCombo } from './key-combos';

interface GraphicsToolbarProps {
  connected: boolean;
  grabbed: boolean;
  onGrab(): void;
  onRelease(): void;
  onKeys(combo: KeyCombo): void;
  fullscreen: boolean;
  onFullscreen(): void;
  /** Controls only one protocol has (VNC's scaling and paste). */
  children?: ReactNode;
}

/** The controls every graphical console has, in the same place for VNC and SPICE. */
export function GraphicsToolbar({
  connected,
  grabbed,
  onGrab,
  onRelease,
  onKeys,
  fullscreen,
  onFullscreen,
  children,
}: GraphicsToolbarProps) {
  return (
    <div className="console-toolbar" role="toolbar" aria-label="Console controls">
      <span
        className={grabbed ? 'grab-state grab-on' : 'grab-state'}
        data-testid="keyboard-state"
        aria-live="polite"
      >
        {grabbed ? 'Keyboard → guest · Shift+F12 releases' : 'Keyboard → Tessera'}
      </span>
      {grabbed ? (
        <button type="button" className="button-secondary" onClick={onRelease} data-testid="keyboard-release">
          Release keyboard
        </button>
      ) : (
        <button
          type="button"
          className="button-secondary"
          onClick={onGrab}
          disabled={!connected}
          data-testid="keyboard-grab"
        >
          Grab keyboard
        </button>
      )}
      <button
        type="button"
        className="button-secondary"
        disabled={!connected}
        onClick={() => onKeys(CTRL_ALT_DEL)}
        data-testid="console-ctrl-alt-del"
      >
        Ctrl+Alt+Del
      </button>
      <KeyMenu onSend={onKeys} disabled={!connected} />
      {children}
      <button
        type="button"
        className="button-secondary toolbar-end"
        onClick={onFullscreen}
        data-testid="console-fullscreen"
      >
        {fullscreen ? 'Exit full screen' : 'Full screen'}
      </button>
    </div>
  );
}
