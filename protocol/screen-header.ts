/**
 * The screen channel's header, between the channel byte and the codec packet (docs/protocol.md):
 *
 *   byte 0      channel 0x01
 *   byte 1      flags: bit 0 keyframe (builds on nothing), bit 1 repair (a keyframe of the frame the agent
 *               last sent, re-sent for viewers that lost the picture; not a new frame)
 *   bytes 2-5   frame: the agent's frame number (1, 2, 3 …), big-endian u32
 *   bytes 6-9   base: the frame this packet builds on (0 for a keyframe), big-endian u32
 *   bytes 10-   the codec packet (docs/codec.md)
 *
 * Naming the base makes a gap detectable: a viewer may apply a delta only on top of exactly its base.
 */
export const SCREEN_HEADER_BYTES = 10;
export const ScreenFlag = { keyframe: 1, repair: 2 } as const;

export interface ScreenHeader {
  keyframe: boolean;
  repair: boolean;
  frame: number;
  base: number;
}

/** Null when the frame is too short or its header is inconsistent (a keyframe with a base, a delta without). */
export function readScreenHeader(bytes: Uint8Array): ScreenHeader | null {
  if (bytes.byteLength < SCREEN_HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, SCREEN_HEADER_BYTES);
  const flags = view.getUint8(1);
  const frame = view.getUint32(2);
  const base = view.getUint32(6);
  const keyframe = (flags & ScreenFlag.keyframe) !== 0;
  const repair = (flags & ScreenFlag.repair) !== 0;
  if (flags & ~(ScreenFlag.keyframe | ScreenFlag.repair)) return null;
  if (frame === 0 || keyframe !== (base === 0) || (repair && !keyframe) || (!keyframe && base >= frame)) return null;
  return { keyframe, repair, frame, base };
}

/** A whole screen frame: channel byte, header, codec packet. */
export function encodeScreenFrame(header: Omit<ScreenHeader, 'base'> & { base?: number }, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(SCREEN_HEADER_BYTES + packet.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0x01);
  view.setUint8(1, (header.keyframe ? ScreenFlag.keyframe : 0) | (header.repair ? ScreenFlag.repair : 0));
  view.setUint32(2, header.frame);
  view.setUint32(6, header.keyframe ? 0 : (header.base ?? header.frame - 1));
  out.set(packet, SCREEN_HEADER_BYTES);
  return out;
}

/** The codec packet inside a screen frame (a view, no copy). */
export function screenPacket(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(SCREEN_HEADER_BYTES);
}
