/**
 * Runs in a Chromium Web Worker (bundled by decode-in-chromium.ts): the console's TypeScript decoder on a
 * recording's packets, timed per packet, repeated from a fresh decoder `reps` times. Per packet it keeps the
 * fastest repetition (the machine is shared: the minimum is the figure least inflated by other work), for
 * `apply` (decode) and for `updateRgba` (the CPU part of painting: the changed pixels into the ImageData).
 */
import { Decoder } from '../../clients/codec/index.js';

export interface DecodeJob {
  width: number;
  height: number;
  /** Codec packets (no screen header). */
  packets: ArrayBuffer[];
  reps: number;
}

export interface DecodeResult {
  decodeMs: number[];
  rgbaMs: number[];
  /** SHA-256 (hex) of the final BGRA framebuffer, to check it against the recording's last frame. */
  sha256: string;
}

interface WorkerScope {
  onmessage: ((ev: MessageEvent<DecodeJob>) => void) | null;
  postMessage(msg: DecodeResult | { error: string }): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (ev) => {
  try {
    const { width, height, reps } = ev.data;
    const packets = ev.data.packets.map((b) => new Uint8Array(b));
    const decodeMs = packets.map(() => Infinity);
    const rgbaMs = packets.map(() => Infinity);
    let last: Decoder | null = null;
    for (let r = 0; r < reps; r++) {
      const d = new Decoder(width, height);
      const rgba = new Int32Array(width * height);
      for (let i = 0; i < packets.length; i++) {
        const t0 = performance.now();
        d.apply(packets[i]!);
        const t1 = performance.now();
        d.updateRgba(rgba);
        const t2 = performance.now();
        decodeMs[i] = Math.min(decodeMs[i]!, t1 - t0);
        rgbaMs[i] = Math.min(rgbaMs[i]!, t2 - t1);
      }
      last = d;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', last!.frame() as Uint8Array<ArrayBuffer>));
    scope.postMessage({ decodeMs, rgbaMs, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') });
  } catch (err) {
    scope.postMessage({ error: String(err) });
  }
};
