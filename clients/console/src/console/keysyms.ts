/**
 * Browser KeyboardEvent → X keysym (X11 keysymdef.h). Named keys by `key` (with `code` telling left from
 * right modifiers); printable characters by code point: Latin-1 keysyms equal the code point, other
 * Unicode characters are 0x01000000 + code point (the X convention for Unicode keysyms).
 */
const named: Record<string, number> = {
  Backspace: 0xff08, Tab: 0xff09, Enter: 0xff0d, Pause: 0xff13, ScrollLock: 0xff14, Escape: 0xff1b,
  Home: 0xff50, ArrowLeft: 0xff51, ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54, PageUp: 0xff55,
  PageDown: 0xff56, End: 0xff57, Select: 0xff60, PrintScreen: 0xff61, Insert: 0xff63, ContextMenu: 0xff67,
  Help: 0xff6a, NumLock: 0xff7f, CapsLock: 0xffe5, Delete: 0xffff, AltGraph: 0xfe03,
  F1: 0xffbe, F2: 0xffbf, F3: 0xffc0, F4: 0xffc1, F5: 0xffc2, F6: 0xffc3, F7: 0xffc4, F8: 0xffc5,
  F9: 0xffc6, F10: 0xffc7, F11: 0xffc8, F12: 0xffc9,
};

/** Modifiers by physical key, so left and right are told apart. */
const byCode: Record<string, number> = {
  ShiftLeft: 0xffe1, ShiftRight: 0xffe2, ControlLeft: 0xffe3, ControlRight: 0xffe4, AltLeft: 0xffe9,
  AltRight: 0xffea, MetaLeft: 0xffeb, MetaRight: 0xffec, OSLeft: 0xffeb, OSRight: 0xffec,
  NumpadEnter: 0xff8d,
};

export const Keysym = {
  Control_L: 0xffe3, Alt_L: 0xffe9, Shift_L: 0xffe1, Super_L: 0xffeb, Delete: 0xffff, Escape: 0xff1b,
  Tab: 0xff09, F4: 0xffc1, BackSpace: 0xff08, Print: 0xff61,
} as const;

/** The keysym for a key event, or null for keys with no X equivalent (dead keys, "Unidentified"). */
export function keysymOf(key: string, code: string): number | null {
  const c = byCode[code];
  if (c !== undefined) return c;
  const n = named[key];
  if (n !== undefined) return n;
  if (key === 'Shift') return 0xffe1;
  if (key === 'Control') return 0xffe3;
  if (key === 'Alt') return 0xffe9;
  if (key === 'Meta') return 0xffeb;
  const chars = [...key];
  if (chars.length !== 1) return null;
  const cp = key.codePointAt(0)!;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return null;
  return 0x01000000 + cp;
}

/** Key combinations the browser or the technician's own system would take, sent from a menu instead. */
export const specialCombos: { label: string; keys: number[] }[] = [
  { label: 'Ctrl+Alt+Del', keys: [Keysym.Control_L, Keysym.Alt_L, Keysym.Delete] },
  { label: 'Ctrl+Alt+Backspace', keys: [Keysym.Control_L, Keysym.Alt_L, Keysym.BackSpace] },
  { label: 'Alt+Tab', keys: [Keysym.Alt_L, Keysym.Tab] },
  { label: 'Alt+F4', keys: [Keysym.Alt_L, Keysym.F4] },
  { label: 'Super (Windows key)', keys: [Keysym.Super_L] },
  { label: 'Escape', keys: [Keysym.Escape] },
  { label: 'Print Screen', keys: [Keysym.Print] },
];
