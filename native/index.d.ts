/**
 * relaydesk native screen-delta codec (lossless, BGRA). Packet format: docs/codec.md.
 *
 * Errors are thrown as `Error` with a stable `code`:
 * E_CODEC_TRUNCATED, E_CODEC_CORRUPT, E_CODEC_BAD_MAGIC, E_CODEC_VERSION, E_CODEC_DIMENSIONS,
 * E_CODEC_FRAME_SIZE, E_CODEC_ARGUMENT, E_CODEC_INTERNAL (a bug; the process keeps running).
 *
 * Memory: arguments are borrowed for the duration of the call and never retained (no copy of
 * the input frame or packet is made up front). Every returned Buffer is a fresh copy, because the
 * encoder and decoder keep changing their internal buffers.
 */

export type CodecErrorCode =
  | 'E_CODEC_TRUNCATED'
  | 'E_CODEC_CORRUPT'
  | 'E_CODEC_BAD_MAGIC'
  | 'E_CODEC_VERSION'
  | 'E_CODEC_DIMENSIONS'
  | 'E_CODEC_FRAME_SIZE'
  | 'E_CODEC_ARGUMENT'
  | 'E_CODEC_INTERNAL';

/** [x, y, width, height] in pixels. */
export type Rect = [number, number, number, number];

export interface EncoderOptions {
  /** Emit a keyframe every this many frames; 0 (default) means only the first frame and on request. */
  keyframeInterval?: number;
  /** Worker threads for entropy coding large updates, 1..=64 (default 2). */
  threads?: number;
  /** Scroll detection (default true). Off only to measure what it buys. */
  motion?: boolean;
  /**
   * The fourth byte of each pixel is padding, not alpha (X's depth-24 pixels, as `X11Desktop.frame()`
   * holds them): packets carry every pixel with alpha 0xFF. Default false.
   */
  opaque?: boolean;
}

export interface EncodeOptions {
  keyframe?: boolean;
  /**
   * x, y, width, height quads: every place where `frame` may differ from the previous frame (what
   * `X11Desktop.grab()` reports it wrote). Only these are compared; a change outside them would be missed
   * and the decoder would drift, so pass it only when it is exact. Omitted: the whole frame is compared.
   */
  changed?: Int32Array;
  /** How many quads of `changed` count (default: all of it). */
  changedCount?: number;
}

export declare class Encoder {
  /** width, height: 1..=16384. Keeps a width*height*4 reference frame (the decoder's view). */
  constructor(width: number, height: number, options?: EncoderOptions);
  readonly width: number;
  readonly height: number;
  /**
   * Encodes one BGRA frame (width*height*4 bytes; borrowed during the call, then only the changed
   * parts are copied into the reference). The first call, `keyframe: true`, and the keyframe
   * interval produce a keyframe; an unchanged frame yields a 20-byte packet.
   */
  encode(frame: Uint8Array, options?: EncodeOptions): Buffer;
}

export declare class Decoder {
  constructor(width: number, height: number);
  readonly width: number;
  readonly height: number;
  /** Packets applied so far; the framebuffer starts all-zero at generation 0. */
  readonly generation: number;
  /**
   * Applies a packet (borrowed during the call) to the framebuffer and returns the rectangles it
   * changed (a keyframe reports the whole frame). A packet that fails validation leaves the
   * framebuffer and generation untouched; the one later failure (E_CODEC_CORRUPT, an entropy stream
   * running far past its end) leaves the framebuffer unspecified: ask the sender for a keyframe.
   */
  decode(packet: Uint8Array): { rects: Rect[] };
  /** A copy of the framebuffer (BGRA, width*height*4 bytes). */
  frame(): Buffer;
  /** A keyframe packet of the current framebuffer, for a viewer that joins now. */
  keyframe(): Buffer;
  /**
   * A packet that brings a viewer from generation `generation` of this decoder to its current
   * framebuffer: every tile changed since then, intra-coded. This is how the gateway merges the
   * packets a lagging viewer missed into one. Throws E_CODEC_ARGUMENT for a future generation.
   */
  deltaSince(generation: number): Buffer;
}

export declare const FORMAT_VERSION: number;

// ---- Linux X11 desktop sharing (native/src/x11/, docs/agent.md) ----

/**
 * Error codes of X11Desktop: E_X11_OPEN (no X server at that display, or access refused), E_X11_EXTENSION
 * (DAMAGE, XFIXES, XTEST or RANDR missing, or an unsupported depth), E_X11_CLOSED (the connection was lost,
 * or close() was called), E_X11_WINDOW (no such window, or the shared window is gone), E_X11_MONITOR (no such
 * monitor), E_X11_KEYSYM (a keysym X does not know, or no keycode free to type it), E_X11_COORDINATES
 * (pointer outside the shared area, or over a covered part of a shared window), E_X11_ARGUMENT,
 * E_X11_REQUEST (the X server refused a capture request), E_X11_INTERNAL (a bug; the process keeps running).
 */
export type X11ErrorCode =
  | 'E_X11_OPEN'
  | 'E_X11_EXTENSION'
  | 'E_X11_CLOSED'
  | 'E_X11_WINDOW'
  | 'E_X11_MONITOR'
  | 'E_X11_KEYSYM'
  | 'E_X11_COORDINATES'
  | 'E_X11_ARGUMENT'
  | 'E_X11_REQUEST'
  | 'E_X11_INTERNAL';

/** A rectangle of the root window, in pixels. */
export interface X11Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface X11Monitor extends X11Area {
  index: number;
  name: string;
  primary: boolean;
}

export interface X11Window extends X11Area {
  /** The X window id (what `--window` takes, in decimal or 0x hex). */
  id: number;
  name: string;
}

/** What changed since the previous poll(). */
export interface X11Changes {
  /** Pixels of the shared area changed: grab() has something to copy. */
  damaged: boolean;
  /** The shared area moved, resized, or what covers it changed: the next grab() copies all of it. */
  moved: boolean;
  /** The shared window is gone (closed or unmapped); grab() throws E_X11_WINDOW until share() again. */
  gone: boolean;
  /** The pointer's shape changed: read cursorShape(). */
  cursor: boolean;
  /** Text the customer copied to the clipboard since the last poll, or null. */
  clipboard: string | null;
  /** Current size of the shared area (a resized window changes it). */
  width: number;
  height: number;
}

export interface X11CursorShape {
  serial: number;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  /** BGRA with premultiplied alpha, width*height*4 bytes. */
  pixels: Buffer;
}

/**
 * One X display: what is shared (screen, monitor or window), its pixels through MIT-SHM of the regions
 * XDamage reports, the pointer (XFixes), and the technician's input (XTest), all synchronous on the JS
 * thread. Pacing is the caller's: poll() is cheap (no round trip unless X sent events), grab() copies
 * only what changed into the caller's frame (the X server writes it straight into `frame()`'s memory).
 */
export declare class X11Desktop {
  /** `display` like ":1"; the DISPLAY environment variable when omitted. Throws E_X11_OPEN. */
  constructor(display?: string);
  /** Size of the shared area now. */
  readonly width: number;
  readonly height: number;
  monitors(): X11Monitor[];
  /** Viewable top-level windows with a title, topmost first. */
  windows(): X11Window[];
  /**
   * Chooses what to share (default: the whole screen). A window share sends only that window's pixels:
   * parts another window covers, or off the screen, are filled with a mask colour; it follows the window as
   * it moves and resizes.
   */
  share(target?: { monitor?: number; window?: number }): X11Area;
  poll(): X11Changes;
  /**
   * Calls `callback` on the JS thread whenever the X connection turns readable (X sent events: call poll()),
   * until unwatch() or close(). Events Xlib already read during another call do not make it readable:
   * check queued() after each round.
   */
  watch(callback: () => void): void;
  unwatch(): void;
  /** Xlib holds events already read off the connection that poll() has not handled yet. */
  queued(): boolean;
  /**
   * A frame buffer for the shared area at its current size (call again after it changes size). Where the
   * server can, it is shared memory that grab() has the server write into, no copy in this process; its
   * fourth byte per pixel is then X's padding, so encode it with `opaque: true`. Elsewhere a plain Buffer.
   */
  frame(): Buffer;
  /**
   * Copies what changed (all of it when `full`, after a move, and the first time) into `frame`, a BGRA
   * picture of the shared area (width*height*4 bytes, written in place; with any other buffer than
   * frame()'s, alpha is set to 0xFF). Returns how many rectangles it copied; 0 when nothing changed. With
   * `changed` (an Int32Array), it writes them there as x, y, width, height quads and returns how many it
   * wrote (their bounding box when more than fit): outside them `frame` was not touched, which is what
   * `Encoder.encode`'s `changed` needs. Damage not yet grabbed accumulates, merged, never queued.
   */
  grab(frame: Uint8Array, full?: boolean, changed?: Int32Array): number;
  /** Pointer position relative to the shared area; `visible` is false outside it or over a covered part. */
  pointer(): { x: number; y: number; visible: boolean };
  cursorShape(): X11CursorShape | null;
  /** Pointer to (x, y) of the shared area. E_X11_COORDINATES outside it. */
  move(x: number, y: number): void;
  /** X button 1 (left), 2 (middle), 3 (right), 8/9 (back/forward). */
  button(button: number, down: boolean): void;
  /** Wheel notches: dy > 0 scrolls down, dx > 0 right. */
  wheel(dx: number, dy: number): void;
  /** A key by keysym (X11 keysymdef.h, or 0x1000000 + Unicode code point). E_X11_KEYSYM when unknown. */
  key(keysym: number, down: boolean): void;
  /** Lets go of every key and button the technician holds (nothing to do, and no error, once the display is lost). */
  releaseAll(): void;
  /** Offers text as the customer's clipboard (CLIPBOARD selection), at most 60 KiB. */
  setClipboard(text: string): void;
  /** Releases held keys, restores borrowed keycodes, closes the connection. Safe to call twice. */
  close(): void;
}
