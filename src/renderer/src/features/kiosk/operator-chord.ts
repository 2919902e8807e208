/** Whether a key press is the operator chord, e.g. `Ctrl+Alt+Shift+K` (src/shared/kiosk.ts OperatorChord). */
export function chordMatches(
  chord: string,
  event: Pick<KeyboardEvent, 'ctrlKey' | 'altKey' | 'shiftKey' | 'metaKey' | 'code'>,
): boolean {
  const parts = chord.split('+');
  const key = parts.pop() ?? '';
  const wants = new Set(parts);
  const code = /^[0-9]$/.test(key) ? `Digit${key}` : `Key${key}`;
  return (
    event.code === code &&
    event.ctrlKey === wants.has('Ctrl') &&
    event.altKey === wants.has('Alt') &&
    event.shiftKey === wants.has('Shift') &&
    event.metaKey === wants.has('Super')
  );
}
