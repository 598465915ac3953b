/**
 * The cursor channel's payload (channel 0x05, customer → viewers), as the console reads it:
 *   x u16, y u16 (big-endian, screen pixels), flags u8 (bit 0: visible)
 * Kept in this one module so it follows the agent's definition in docs/protocol.md.
 */
export interface CursorState {
  x: number;
  y: number;
  visible: boolean;
}

export function decodeCursor(p: Uint8Array): CursorState | null {
  if (p.byteLength < 5) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { x: v.getUint16(0), y: v.getUint16(2), visible: (v.getUint8(4) & 1) === 1 };
}

export function encodeCursor(c: CursorState): Uint8Array {
  const v = new DataView(new ArrayBuffer(5));
  v.setUint16(0, c.x);
  v.setUint16(2, c.y);
  v.setUint8(4, c.visible ? 1 : 0);
  return new Uint8Array(v.buffer);
}
