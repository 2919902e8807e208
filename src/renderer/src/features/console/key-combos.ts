/**
 * One key as each console protocol names it: X11 keysym and DOM `code` for VNC (noVNC sends the
 * QEMU extended key event from the code), and the PC set-1 scancode for SPICE, with 0x100 marking
 * the 0xE0-prefixed keys.
 */
export interface Key {
  keysym: number;
  code: string;
  scancode: number;
}

const key = (keysym: number, code: string, scancode: number): Key => ({ keysym, code, scancode });

// Keysyms from X11 keysymdef.h; scancodes from the IBM PC AT set 1 table.
export const KEYS = {
  ctrl: key(0xffe3, 'ControlLeft', 0x1d),
  alt: key(0xffe9, 'AltLeft', 0x38),
  shift: key(0xffe1, 'ShiftLeft', 0x2a),
  super: key(0xffeb, 'MetaLeft', 0x15b),
  delete: key(0xffff, 'Delete', 0x153),
  backspace: key(0xff08, 'Backspace', 0x0e),
  tab: key(0xff09, 'Tab', 0x0f),
  escape: key(0xff1b, 'Escape', 0x01),
  enter: key(0xff0d, 'Enter', 0x1c),
  print: key(0xff61, 'PrintScreen', 0x137),
} as const;

/** F1..F12: keysyms are consecutive, scancodes are not (F11 and F12 came later). */
export function functionKey(n: number): Key {
  if (!Number.isInteger(n) || n < 1 || n > 12) throw new RangeError(`no F${n} key`);
  const scancode = n <= 10 ? 0x3b + n - 1 : 0x57 + n - 11;
  return key(0xffbe + n - 1, `F${n}`, scancode);
}

export interface KeyCombo {
  id: string;
  label: string;
  /** Pressed in order, released in reverse. */
  keys: Key[];
}

export const CTRL_ALT_DEL: KeyCombo = {
  id: 'ctrl-alt-del',
  label: 'Ctrl+Alt+Del',
  keys: [KEYS.ctrl, KEYS.alt, KEYS.delete],
};

export const KEY_COMBOS: KeyCombo[] = [
  CTRL_ALT_DEL,
  { id: 'ctrl-alt-backspace', label: 'Ctrl+Alt+Backspace', keys: [KEYS.ctrl, KEYS.alt, KEYS.backspace] },
  ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({
    id: `ctrl-alt-f${n}`,
    label: `Ctrl+Alt+F${n}`,
    keys: [KEYS.ctrl, KEYS.alt, functionKey(n)],
  })),
  { id: 'alt-tab', label: 'Alt+Tab', keys: [KEYS.alt, KEYS.tab] },
  { id: 'alt-f4', label: 'Alt+F4', keys: [KEYS.alt, functionKey(4)] },
  { id: 'super', label: 'Super (Windows key)', keys: [KEYS.super] },
  { id: 'print', label: 'Print Screen', keys: [KEYS.print] },
  { id: 'ctrl-esc', label: 'Ctrl+Esc', keys: [KEYS.ctrl, KEYS.escape] },
];

/** Every key down in order, then up in reverse: how a person presses a combination. */
export function pressSequence(keys: readonly Key[]): { key: Key; down: boolean }[] {
  return [
    ...keys.map((k) => ({ key: k, down: true })),
    ...[...keys].reverse().map((k) => ({ key: k, down: false })),
  ];
}

/** The SPICE wire form of a scancode (as spice-gtk's spice_make_scancode): E0 keys as 0xE0 | code << 8. */
export function spiceScancode(scancode: number): number {
  return scancode & 0x100 ? 0xe0 | ((scancode & 0xff) << 8) : scancode;
}

/** Characters a US keyboard types with Shift held; QEMU maps keysyms through its en-us keymap. */
const SHIFTED = /^[A-Z~!@#$%^&*()_+{}|:"<>?]$/;

export interface TypedKey {
  keysym: number;
  shift: boolean;
}

/**
 * The keys that type TEXT on a guest without a clipboard agent: Latin-1 keysyms are the code
 * points themselves, newline is Return, anything beyond is a Unicode keysym (0x01000000 + code);
 * Shift is held where a US keyboard needs it, since QEMU does not add it for uppercase keysyms.
 */
export function textToKeys(text: string): TypedKey[] {
  const keys: TypedKey[] = [];
  for (const char of text.replace(/\r\n?/g, '\n')) {
    const cp = char.codePointAt(0) ?? 0;
    const shift = SHIFTED.test(char);
    if (char === '\n') keys.push({ keysym: KEYS.enter.keysym, shift: false });
    else if (char === '\t') keys.push({ keysym: KEYS.tab.keysym, shift: false });
    else if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) keys.push({ keysym: cp, shift });
    else if (cp > 0xff) keys.push({ keysym: 0x01000000 + cp, shift: false });
  }
  return keys;
}
