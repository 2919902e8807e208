import { KEY_COMBOS, type KeyCombo } from './key-combos';

/** Key combinations the host would otherwise keep for itself; a select is keyboard-friendly for free. */
export function KeyMenu({ onSend, disabled }: { onSend(combo: KeyCombo): void; disabled: boolean }) {
  return (
    <select
      aria-label="Send a key combination"
      value=""
      disabled={disabled}
      data-testid="console-keys"
      onChange={(e) => {
        const combo = KEY_COMBOS.find((c) => c.id === e.target.value);
        if (combo) onSend(combo);
      }}
    >
      <option value="" disabled>
        Send keys…
      </option>
      {KEY_COMBOS.map((c) => (
        <option key={c.id} value={c.id}>
          {c.label}
        </option>
      ))}
    </select>
  );
}
