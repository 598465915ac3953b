/**
 * The input channel's payload (channel 0x02, technician holding control → customer): one event per
 * message, big-endian. Kept in this one module so it follows the agent's definition in docs/protocol.md.
 *
 *   0x01 move    x u16, y u16                        pointer to (x, y) in screen pixels
 *   0x02 button  button u8 (1 left, 2 middle, 3 right), down u8 (1/0), x u16, y u16
 *   0x03 wheel   dx i16, dy i16                      notches; positive dy scrolls down
 *   0x04 key     keysym u32 (X11), down u8 (1/0)
 *   0x05 text    UTF-8 bytes                         type this text (clipboard paste)
 */
export const InputKind = { move: 1, button: 2, wheel: 3, key: 4, text: 5 } as const;

export type InputEvent =
  | { kind: 'move'; x: number; y: number }
  | { kind: 'button'; button: number; down: boolean; x: number; y: number }
  | { kind: 'wheel'; dx: number; dy: number }
  | { kind: 'key'; keysym: number; down: boolean }
  | { kind: 'text'; text: string };

/** Largest pasted text sent at once (the input channel is for events, not documents). */
export const MAX_TEXT_BYTES = 16 * 1024;

const clampU16 = (v: number) => Math.max(0, Math.min(0xffff, Math.round(v)));
const clampI16 = (v: number) => Math.max(-0x8000, Math.min(0x7fff, Math.round(v)));

/** The payload after the channel byte. */
export function encodeInput(e: InputEvent): Uint8Array {
  switch (e.kind) {
    case 'move': {
      const b = new DataView(new ArrayBuffer(5));
      b.setUint8(0, InputKind.move);
      b.setUint16(1, clampU16(e.x));
      b.setUint16(3, clampU16(e.y));
      return new Uint8Array(b.buffer);
    }
    case 'button': {
      const b = new DataView(new ArrayBuffer(7));
      b.setUint8(0, InputKind.button);
      b.setUint8(1, e.button);
      b.setUint8(2, e.down ? 1 : 0);
      b.setUint16(3, clampU16(e.x));
      b.setUint16(5, clampU16(e.y));
      return new Uint8Array(b.buffer);
    }
    case 'wheel': {
      const b = new DataView(new ArrayBuffer(5));
      b.setUint8(0, InputKind.wheel);
      b.setInt16(1, clampI16(e.dx));
      b.setInt16(3, clampI16(e.dy));
      return new Uint8Array(b.buffer);
    }
    case 'key': {
      const b = new DataView(new ArrayBuffer(6));
      b.setUint8(0, InputKind.key);
      b.setUint32(1, e.keysym >>> 0);
      b.setUint8(5, e.down ? 1 : 0);
      return new Uint8Array(b.buffer);
    }
    case 'text': {
      const text = new TextEncoder().encode(e.text);
      if (text.byteLength > MAX_TEXT_BYTES) throw new RangeError(`pasted text is limited to ${MAX_TEXT_BYTES} bytes`);
      const out = new Uint8Array(1 + text.byteLength);
      out[0] = InputKind.text;
      out.set(text, 1);
      return out;
    }
  }
}

/** The inverse, for the customer side and for tests; null for a malformed payload. */
export function decodeInput(p: Uint8Array): InputEvent | null {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const need = (n: number) => p.byteLength === n;
  switch (p[0]) {
    case InputKind.move:
      return need(5) ? { kind: 'move', x: v.getUint16(1), y: v.getUint16(3) } : null;
    case InputKind.button:
      return need(7) ? { kind: 'button', button: v.getUint8(1), down: v.getUint8(2) === 1, x: v.getUint16(3), y: v.getUint16(5) } : null;
    case InputKind.wheel:
      return need(5) ? { kind: 'wheel', dx: v.getInt16(1), dy: v.getInt16(3) } : null;
    case InputKind.key:
      return need(6) ? { kind: 'key', keysym: v.getUint32(1), down: v.getUint8(5) === 1 } : null;
    case InputKind.text:
      return p.byteLength > 1 ? { kind: 'text', text: new TextDecoder().decode(p.subarray(1)) } : null;
    default:
      return null;
  }
}
