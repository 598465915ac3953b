/**
 * Payload of the cursor channel 0x05 (customer → viewers, media: the newest wins), after the channel byte
 * (docs/protocol.md, "Input and cursor"). The screen frames never contain the pointer; viewers draw it from
 * these, so a moving pointer costs 6 bytes instead of re-encoded pixels. Integers big-endian.
 *
 *   0x01 position: x i16, y i16 (pixels of the shared picture), visible u8 (0 = outside or over a covered part)
 *   0x02 shape:    serial u32, width u16, height u16, hotX u16, hotY u16, then width*height*4 bytes of BGRA
 *                  with premultiplied alpha (as X11's XFixes gives it)
 */
export const CursorType = { position: 0x01, shape: 0x02 } as const;
/** Larger cursors are not sent (no platform draws them; it bounds the message). */
export const MAX_CURSOR_EDGE = 256;

export type CursorEvent =
  | { type: 'position'; x: number; y: number; visible: boolean }
  | { type: 'shape'; serial: number; width: number; height: number; hotX: number; hotY: number; pixels: Uint8Array };

const clamp16 = (n: number) => Math.max(-32768, Math.min(32767, Math.round(n)));

export function encodeCursor(e: CursorEvent): Uint8Array {
  if (e.type === 'position') {
    const out = new Uint8Array(6);
    const v = new DataView(out.buffer);
    v.setUint8(0, CursorType.position);
    v.setInt16(1, clamp16(e.x));
    v.setInt16(3, clamp16(e.y));
    v.setUint8(5, e.visible ? 1 : 0);
    return out;
  }
  const out = new Uint8Array(13 + e.pixels.byteLength);
  const v = new DataView(out.buffer);
  v.setUint8(0, CursorType.shape);
  v.setUint32(1, e.serial >>> 0);
  v.setUint16(5, e.width);
  v.setUint16(7, e.height);
  v.setUint16(9, e.hotX);
  v.setUint16(11, e.hotY);
  out.set(e.pixels, 13);
  return out;
}

/** Null for a payload that is not a well-formed cursor message. */
export function decodeCursor(bytes: Uint8Array): CursorEvent | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength === 6 && bytes[0] === CursorType.position) {
    return { type: 'position', x: v.getInt16(1), y: v.getInt16(3), visible: v.getUint8(5) !== 0 };
  }
  if (bytes.byteLength >= 13 && bytes[0] === CursorType.shape) {
    const width = v.getUint16(5);
    const height = v.getUint16(7);
    if (width > MAX_CURSOR_EDGE || height > MAX_CURSOR_EDGE || bytes.byteLength !== 13 + width * height * 4) return null;
    return { type: 'shape', serial: v.getUint32(1), width, height, hotX: v.getUint16(9), hotY: v.getUint16(11), pixels: bytes.subarray(13) };
  }
  return null;
}
