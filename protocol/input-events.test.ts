import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor-events.js';
import { decodeInput, encodeInput, keysymFor, MAX_INPUT_EVENTS, typeText, type InputEvent } from './input-events.js';

describe('input channel payload', () => {
  it('round-trips every event type, several to a message', () => {
    const events: InputEvent[] = [
      { type: 'move', x: 1919, y: 0 },
      { type: 'button', button: 3, down: true },
      { type: 'wheel', dx: -2, dy: 5 },
      { type: 'key', keysym: 0x0100_20ac, down: false },
      { type: 'releaseAll' },
    ];
    const bytes = encodeInput(events);
    expect(bytes.byteLength).toBe(5 + 3 + 5 + 6 + 1);
    expect(decodeInput(bytes)).toEqual(events);
  });

  it('refuses unknown types, cut events, empty and oversized messages with E_INPUT_MALFORMED', () => {
    for (const bad of [new Uint8Array([0x99]), new Uint8Array([0x01, 0, 1, 0]), new Uint8Array(0), encodeInput(Array(MAX_INPUT_EVENTS + 1).fill({ type: 'releaseAll' }))]) {
      expect(() => decodeInput(bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_MALFORMED' }));
    }
  });

  it('types text as keysyms: Latin-1 as is, the rest as Unicode keysyms, newline as Return', () => {
    expect(['a', 'A', '>', 'é', '€', '\n'].map(keysymFor)).toEqual([0x61, 0x41, 0x3e, 0xe9, 0x0100_20ac, 0xff0d]);
    expect(typeText('hi')).toEqual([
      { type: 'key', keysym: 0x68, down: true },
      { type: 'key', keysym: 0x68, down: false },
      { type: 'key', keysym: 0x69, down: true },
      { type: 'key', keysym: 0x69, down: false },
    ]);
  });
});

describe('cursor channel payload', () => {
  it('round-trips position and shape, and refuses malformed ones', () => {
    expect(decodeCursor(encodeCursor({ type: 'position', x: -3, y: 700, visible: false }))).toEqual({ type: 'position', x: -3, y: 700, visible: false });
    const pixels = new Uint8Array(2 * 3 * 4).map((_, i) => i);
    const shape = decodeCursor(encodeCursor({ type: 'shape', serial: 7, width: 2, height: 3, hotX: 1, hotY: 2, pixels }));
    expect(shape).toMatchObject({ type: 'shape', serial: 7, width: 2, height: 3, hotX: 1, hotY: 2 });
    expect([...(shape as { pixels: Uint8Array }).pixels]).toEqual([...pixels]);
    expect(decodeCursor(new Uint8Array([0x02, 0, 0, 0, 7, 0, 2, 0, 3, 0, 0, 0, 0]))).toBeNull(); // pixels missing
    expect(decodeCursor(new Uint8Array([0x09]))).toBeNull();
  });
});
