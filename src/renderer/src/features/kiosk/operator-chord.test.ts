import { describe, expect, it } from 'vitest';
import { chordMatches } from './operator-chord';

const press = (
  code: string,
  mods: { ctrl?: boolean; alt?: boolean; shift?: boolean; meta?: boolean } = {},
) => ({
  code,
  ctrlKey: mods.ctrl ?? false,
  altKey: mods.alt ?? false,
  shiftKey: mods.shift ?? false,
  metaKey: mods.meta ?? false,
});

describe('the operator chord', () => {
  it('matches exactly its modifiers and key, wherever the keyboard layout puts the letter', () => {
    expect(chordMatches('Ctrl+Alt+Shift+K', press('KeyK', { ctrl: true, alt: true, shift: true }))).toBe(
      true,
    );
    expect(chordMatches('Ctrl+Alt+Shift+K', press('KeyK', { ctrl: true, alt: true }))).toBe(false);
    expect(
      chordMatches('Ctrl+Alt+Shift+K', press('KeyK', { ctrl: true, alt: true, shift: true, meta: true })),
    ).toBe(false);
    expect(chordMatches('Super+Alt+7', press('Digit7', { alt: true, meta: true }))).toBe(true);
  });
});
