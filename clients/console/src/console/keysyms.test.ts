import { describe, expect, it } from 'vitest';
import { keysymOf } from './keysyms.js';

describe('browser key → X keysym', () => {
  it('maps printable characters by code point (Latin-1 as is, the rest as Unicode keysyms)', () => {
    expect(keysymOf('a', 'KeyA')).toBe(0x61);
    expect(keysymOf('A', 'KeyA')).toBe(0x41);
    expect(keysymOf(' ', 'Space')).toBe(0x20);
    expect(keysymOf('é', 'Digit2')).toBe(0xe9);
    expect(keysymOf('€', 'KeyE')).toBe(0x010020ac);
    expect(keysymOf('😀', 'KeyX')).toBe(0x0101f600);
  });

  it('tells left from right modifiers by physical key, and names the special keys', () => {
    expect(keysymOf('Shift', 'ShiftLeft')).toBe(0xffe1);
    expect(keysymOf('Shift', 'ShiftRight')).toBe(0xffe2);
    expect(keysymOf('Control', 'ControlRight')).toBe(0xffe4);
    expect(keysymOf('AltGraph', 'AltRight')).toBe(0xffea);
    expect(keysymOf('Enter', 'NumpadEnter')).toBe(0xff8d);
    expect(keysymOf('Enter', 'Enter')).toBe(0xff0d);
    expect(keysymOf('F12', 'F12')).toBe(0xffc9);
    expect(keysymOf('Delete', 'Delete')).toBe(0xffff);
    expect(keysymOf('ArrowUp', 'ArrowUp')).toBe(0xff52);
  });

  it('sends nothing for keys with no X equivalent', () => {
    expect(keysymOf('Dead', 'BracketLeft')).toBeNull();
    expect(keysymOf('Unidentified', '')).toBeNull();
    expect(keysymOf('\u0007', '')).toBeNull();
  });
});
