import { useState } from 'react';
import { useModal } from '../../hooks/use-modal';

interface PasteDialogProps {
  open: boolean;
  onClose(): void;
  /** Hand the text to the guest's clipboard (needs a clipboard agent in the guest). */
  onClipboard?(text: string): void;
  /** Type the text as keystrokes: works on any guest, a text console included. */
  onType(text: string): void;
}

/** Text from the user's side into the guest: a browser page may not read the clipboard by itself. */
export function PasteDialog({ open, onClose, onClipboard, onType }: PasteDialogProps) {
  const ref = useModal(open);
  const [text, setText] = useState('');
  const send = (how: (text: string) => void) => {
    how(text);
    setText('');
    onClose();
  };
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="paste-title"
      onClose={onClose}
      data-testid="paste-dialog"
    >
      <h2 id="paste-title">Paste into the guest</h2>
      <div className="dialog-body">
        <label htmlFor="paste-text">Text (paste with Ctrl+V)</label>
        <textarea id="paste-text" rows={6} value={text} onChange={(e) => setText(e.target.value)} autoFocus />
        <p className="hint">
          “Type it” sends keystrokes for a US keyboard layout and works everywhere.
          {onClipboard
            ? ' “Set guest clipboard” needs a clipboard agent (spice-vdagent) in the guest.'
            : ' This console has no clipboard channel, so the text is typed.'}
        </p>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onClose}>
          Cancel
        </button>
        {onClipboard && (
          <button
            type="button"
            className="button-secondary"
            disabled={text === ''}
            onClick={() => send(onClipboard)}
          >
            Set guest clipboard
          </button>
        )}
        <button type="button" disabled={text === ''} onClick={() => send(onType)} data-testid="paste-type">
          Type it
        </button>
      </div>
    </dialog>
  );
}
