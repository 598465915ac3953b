/**
 * The customer page's share worker: turns captured pictures (ImageBitmap) into codec packets with the
 * TypeScript encoder (clients/codec), off the page's main thread.
 */
import { Encoder } from '../../../codec/index.js';
import type { FromShareWorker, ToShareWorker } from './share-protocol.js';

interface WorkerScope {
  onmessage: ((ev: MessageEvent<ToShareWorker>) => void) | null;
  postMessage(msg: FromShareWorker, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let encoder: Encoder | null = null;
let bgra: Uint8Array | null = null;

scope.onmessage = async (ev) => {
  const msg = ev.data;
  if (msg.type === 'hash') {
    // The last frame sent, as BGRA: tests compare it with what the technician decoded.
    if (!bgra || !encoder) return scope.postMessage({ type: 'hash', sha256: null, width: 0, height: 0 });
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bgra.slice()));
    return scope.postMessage({ type: 'hash', sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''), width: encoder.width, height: encoder.height });
  }
  const { bitmap } = msg;
  const { width, height } = bitmap;
  let keyframe = msg.keyframe;
  if (!encoder || encoder.width !== width || encoder.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    encoder = new Encoder(width, height);
    bgra = new Uint8Array(width * height * 4);
    keyframe = true;
  }
  ctx!.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = new Uint32Array(ctx!.getImageData(0, 0, width, height).data.buffer);
  const out = new Uint32Array(bgra!.buffer);
  // RGBA (canvas) → BGRA (codec), opaque: a screen has no alpha.
  for (let i = 0; i < rgba.length; i++) {
    const p = rgba[i]!;
    out[i] = ((p >>> 16) & 0xff) | (p & 0xff00) | ((p & 0xff) << 16) | 0xff000000;
  }
  const started = performance.now();
  try {
    const packet = encoder!.encode(bgra!, { keyframe });
    const buffer = packet.buffer.slice(packet.byteOffset, packet.byteOffset + packet.byteLength) as ArrayBuffer;
    scope.postMessage({ type: 'packet', packet: buffer, keyframe, width, height, encodeMs: performance.now() - started }, [buffer]);
  } catch (err) {
    scope.postMessage({ type: 'error', message: String(err) });
  }
};
