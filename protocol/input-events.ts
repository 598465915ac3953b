/**
 * Payload of the input channel 0x02 (technician holding control → customer), after the channel byte: one or
 * more events back to back, each a type byte and fixed fields, integers big-endian (docs/protocol.md, "Input
 * and cursor"). Coordinates are pixels of the shared picture (the frames the technician decodes), so the
 * technician never needs to know where the shared monitor or window sits on the customer's desktop.
 *
 * Keys are X11 keysyms (keysymdef.h; Unicode characters as 0x01000000 + code point): what the technician
 * means, whatever either keyboard layout is. Shared by the SDK and the agent; no Node APIs here.
 */
export const InputType = { move: 0x01, button: 0x02, wheel: 0x03, key: 0x04, releaseAll: 0x05 } as const;

export type InputEvent =
  | { type: 'move'; x: number; y: number }
  /** 1 left, 2 middle, 3 right, 8 back, 9 forward. */
  | { type: 'button'; button: number; down: boolean }
  /** Notches; dy > 0 scrolls down, dx > 0 right. */
  | { type: 'wheel'; dx: number; dy: number }
  | { type: 'key'; keysym: number; down: boolean }
  /** Let go of everything held (the technician's window lost focus). */
  | { type: 'releaseAll' };

const sizes: Record<number, number> = { 0x01: 5, 0x02: 3, 0x03: 5, 0x04: 6, 0x05: 1 };
/** Events per message at most: a paste of a long text is several messages, not one unbounded one. */
export const MAX_INPUT_EVENTS = 512;

export class InputFormatError extends Error {
  readonly code = 'E_INPUT_MALFORMED';
}

function size(e: InputEvent): number {
  return sizes[InputType[e.type]]!;
}

/** Encodes events into one input payload (without the channel byte). */
export function encodeInput(events: readonly InputEvent[]): Uint8Array {
  const out = new Uint8Array(events.reduce((n, e) => n + size(e), 0));
  const v = new DataView(out.buffer);
  let o = 0;
  for (const e of events) {
    v.setUint8(o, InputType[e.type]);
    switch (e.type) {
      case 'move':
        v.setUint16(o + 1, e.x);
        v.setUint16(o + 3, e.y);
        break;
      case 'button':
        v.setUint8(o + 1, e.button);
        v.setUint8(o + 2, e.down ? 1 : 0);
        break;
      case 'wheel':
        v.setInt16(o + 1, e.dx);
        v.setInt16(o + 3, e.dy);
        break;
      case 'key':
        v.setUint32(o + 1, e.keysym);
        v.setUint8(o + 5, e.down ? 1 : 0);
        break;
      case 'releaseAll':
        break;
    }
    o += size(e);
  }
  return out;
}

/** Decodes an input payload. Throws InputFormatError (E_INPUT_MALFORMED) for an unknown type, a cut event or too many. */
export function decodeInput(bytes: Uint8Array): InputEvent[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: InputEvent[] = [];
  let o = 0;
  if (bytes.byteLength === 0) throw new InputFormatError('empty input message');
  while (o < bytes.byteLength) {
    const t = v.getUint8(o);
    const n = sizes[t];
    if (n === undefined) throw new InputFormatError(`unknown input event type 0x${t.toString(16)} at byte ${o}`);
    if (o + n > bytes.byteLength) throw new InputFormatError(`input event 0x${t.toString(16)} at byte ${o} is cut short`);
    if (out.length === MAX_INPUT_EVENTS) throw new InputFormatError(`more than ${MAX_INPUT_EVENTS} input events in one message`);
    switch (t) {
      case InputType.move:
        out.push({ type: 'move', x: v.getUint16(o + 1), y: v.getUint16(o + 3) });
        break;
      case InputType.button:
        out.push({ type: 'button', button: v.getUint8(o + 1), down: v.getUint8(o + 2) !== 0 });
        break;
      case InputType.wheel:
        out.push({ type: 'wheel', dx: v.getInt16(o + 1), dy: v.getInt16(o + 3) });
        break;
      case InputType.key:
        out.push({ type: 'key', keysym: v.getUint32(o + 1), down: v.getUint8(o + 5) !== 0 });
        break;
      default:
        out.push({ type: 'releaseAll' });
    }
    o += n;
  }
  return out;
}

/** Keysyms for the control characters a text may hold (X11 keysymdef.h). */
const namedKeys: Record<string, number> = { '\n': 0xff0d, '\r': 0xff0d, '\t': 0xff09, '\b': 0xff08, '\x1b': 0xff1b };

/** The keysym that types `char`: Latin-1 keysyms equal their code point; others are 0x01000000 + code point. */
export function keysymFor(char: string): number {
  const named = namedKeys[char];
  if (named !== undefined) return named;
  const cp = char.codePointAt(0)!;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x0100_0000 + cp;
}

/** Key presses and releases that type `text` (the customer's keymap decides the keycodes and Shift). */
export function typeText(text: string): InputEvent[] {
  const out: InputEvent[] = [];
  for (const ch of text) {
    const keysym = keysymFor(ch);
    out.push({ type: 'key', keysym, down: true }, { type: 'key', keysym, down: false });
  }
  return out;
}
