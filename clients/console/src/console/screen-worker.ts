/**
 * The screen worker: applies screen packets with the TypeScript decoder (clients/codec) and paints the
 * changed rectangles onto the console's canvas (an OffscreenCanvas transferred here), off the page's
 * main thread. A delta is applied only on top of exactly the frame it names as its base
 * (protocol/screen-header.ts), so the picture is never wrong: after a gap it waits for a keyframe.
 */
import { Decoder, warmUpDecoder } from '../../../codec/index.js';
import { readScreenHeader, screenPacket } from '../../../../protocol/screen-header.js';
import type { FromWorker, ToWorker } from './screen-protocol.js';

interface WorkerScope {
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let decoder: Decoder | null = null;
let image: ImageData | null = null;
/** The ImageData's pixels as int32 (what Decoder.updateRgba writes). */
let rgba: Int32Array | null = null;
/** The frame number our picture shows (0: none yet). */
let have = 0;
// Measurements for bench/console (bounded: the newest 10,000 of each).
const decodeMs: number[] = [];
const paintMs: number[] = [];
const arrivalToPaintMs: number[] = [];
let frames = 0;
let lost = 0;
const MAX_SAMPLES = 10_000;

const post = (msg: FromWorker, transfer: Transferable[] = []) => scope.postMessage(msg, transfer);
const sample = (list: number[], v: number) => {
  if (list.length >= MAX_SAMPLES) list.shift();
  list.push(v);
};

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'init':
      canvas = msg.canvas;
      ctx = canvas.getContext('2d', { alpha: false });
      // While the technician waits for the customer's first picture (a whole-screen keyframe): see warmUpDecoder.
      warmUpDecoder();
      return;
    case 'frame':
      return onFrame(new Uint8Array(msg.data, msg.offset), msg.arrivedAt);
    case 'reset':
      have = 0;
      return;
    case 'snapshot': {
      // What is on the canvas, read back from the canvas itself (not from the decoder): tests compare it.
      if (!ctx || !canvas || canvas.width === 0 || !decoder) return post({ type: 'snapshot', id: msg.id, width: 0, height: 0, rgba: null });
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data.buffer as ArrayBuffer;
      return post({ type: 'snapshot', id: msg.id, width: canvas.width, height: canvas.height, rgba: data }, [data]);
    }
    case 'stats':
      post({ type: 'stats', id: msg.id, decodeMs: [...decodeMs], paintMs: [...paintMs], arrivalToPaintMs: [...arrivalToPaintMs], frames, lost });
      if (msg.reset) {
        decodeMs.length = 0;
        paintMs.length = 0;
        arrivalToPaintMs.length = 0;
        frames = 0;
        lost = 0;
      }
      return;
  }
};

function onFrame(bytes: Uint8Array, arrivedAt: number): void {
  const header = readScreenHeader(bytes);
  if (!header) return post({ type: 'error', code: 'E_BAD_MESSAGE', message: 'malformed screen header' });
  if (!header.keyframe && header.base !== have) {
    lost++;
    return post({ type: 'lost', frame: header.frame, base: header.base, have });
  }
  const packet = screenPacket(bytes);
  if (packet.byteLength < 9) return post({ type: 'error', code: 'E_CODEC_TRUNCATED', message: 'screen packet too short' });
  // Dimensions are in the codec header (docs/codec.md): a keyframe may change them (a resized share).
  const width = packet[5]! | (packet[6]! << 8);
  const height = packet[7]! | (packet[8]! << 8);
  if (header.keyframe && (!decoder || decoder.width !== width || decoder.height !== height)) resize(width, height);
  if (!decoder) return;
  const started = performance.now();
  let changed: number;
  try {
    changed = decoder.apply(packet);
  } catch (err) {
    have = 0; // the picture may be damaged: wait for a keyframe
    const e = err as { code?: string; message?: string };
    return post({ type: 'error', code: e.code ?? 'E_CODEC_CORRUPT', message: e.message ?? String(err) });
  }
  have = header.frame;
  const decoded = performance.now();
  paint(changed);
  const done = performance.now();
  sample(decodeMs, decoded - started);
  sample(paintMs, done - decoded);
  sample(arrivalToPaintMs, performance.timeOrigin + done - arrivedAt);
  frames++;
  post({ type: 'painted', frame: header.frame });
}

function resize(width: number, height: number): void {
  decoder = new Decoder(width, height);
  image = new ImageData(width, height);
  rgba = new Int32Array(image.data.buffer);
  if (canvas) {
    canvas.width = width;
    canvas.height = height;
  }
  have = 0;
  post({ type: 'size', width, height });
}

/** Height of the bands paint() merges rectangles into: the codec's tile height. */
const BAND = 64;
/** Per band: the changed area's left, right, top and bottom (reused, no allocation per frame). */
let bands = new Int32Array(0);

/**
 * Puts what the last packet changed on the canvas: the decoder brings the ImageData's pixels up to date (only
 * the changed pixels, BGRA → opaque RGBA; copies as memmoves), then putImageData with a dirty rectangle. A large
 * update reports hundreds of tile rectangles, and one putImageData each costs more than the pixels, so they are
 * merged per 64-pixel band into the band's changed span (at most ceil(height/64) calls per frame).
 */
function paint(changed: number): void {
  if (!decoder || !image || !rgba) return;
  decoder.updateRgba(rgba); // even with no canvas yet: the ImageData must follow every packet applied
  if (!ctx) return;
  const damage = decoder.damage;
  const nBands = Math.ceil(decoder.height / BAND);
  if (bands.length !== nBands * 4) bands = new Int32Array(nBands * 4);
  for (let b = 0; b < nBands; b++) {
    bands[b * 4] = decoder.width;
    bands[b * 4 + 1] = -1;
    bands[b * 4 + 2] = decoder.height;
    bands[b * 4 + 3] = -1;
  }
  for (let r = 0; r < 4 * changed; r += 4) {
    const x = damage[r]!, y = damage[r + 1]!, w = damage[r + 2]!, h = damage[r + 3]!;
    for (let b = Math.floor(y / BAND); b * BAND < y + h; b++) {
      const o = b * 4;
      bands[o] = Math.min(bands[o]!, x);
      bands[o + 1] = Math.max(bands[o + 1]!, x + w);
      bands[o + 2] = Math.min(bands[o + 2]!, Math.max(y, b * BAND));
      bands[o + 3] = Math.max(bands[o + 3]!, Math.min(y + h, (b + 1) * BAND));
    }
  }
  for (let b = 0; b < nBands; b++) {
    const x0 = bands[b * 4]!, x1 = bands[b * 4 + 1]!, y0 = bands[b * 4 + 2]!, y1 = bands[b * 4 + 3]!;
    if (x1 >= 0) ctx.putImageData(image, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }
}
