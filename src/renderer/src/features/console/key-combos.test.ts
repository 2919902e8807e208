import { describe, expect, it } from 'vitest';
import {
  CTRL_ALT_DEL,
  KEY_COMBOS,
  KEYS,
  functionKey,
  pressSequence,
  spiceScancode,
  textToKeys,
} from './key-combos';

describe('key combinations', () => {
  it('presses in order and releases in reverse', () => {
    expect(pressSequence(CTRL_ALT_DEL.keys).map(({ key, down }) => `${key.code}${down ? '↓' : '↑'}`)).toEqual(
      ['ControlLeft↓', 'AltLeft↓', 'Delete↓', 'Delete↑', 'AltLeft↑', 'ControlLeft↑'],
    );
  });

  it('knows the function keys, whose scancodes jump after F10', () => {
    expect(functionKey(1)).toEqual({ keysym: 0xffbe, code: 'F1', scancode: 0x3b });
    expect(functionKey(10).scancode).toBe(0x44);
    expect(functionKey(11).scancode).toBe(0x57);
    expect(functionKey(12)).toEqual({ keysym: 0xffc9, code: 'F12', scancode: 0x58 });
    expect(() => functionKey(13)).toThrow(RangeError);
  });

  it('has unique ids', () => {
    expect(new Set(KEY_COMBOS.map((c) => c.id)).size).toBe(KEY_COMBOS.length);
  });

  it('writes E0-prefixed scancodes the way SPICE wants them', () => {
    expect(spiceScancode(KEYS.ctrl.scancode)).toBe(0x1d);
    expect(spiceScancode(KEYS.delete.scancode)).toBe(0x53e0);
  });

  it('turns text into keysyms, newlines into Return, holding Shift where a US keyboard does', () => {
    const keysyms = (text: string) => textToKeys(text).map((k) => k.keysym);
    expect(keysyms('ls -l\r\n')).toEqual([0x6c, 0x73, 0x20, 0x2d, 0x6c, 0xff0d]);
    expect(keysyms('é€')).toEqual([0xe9, 0x010020ac]);
    expect(keysyms('\u0007')).toEqual([]);
    expect(textToKeys('aA:').map((k) => k.shift)).toEqual([false, true, true]);
  });
});
