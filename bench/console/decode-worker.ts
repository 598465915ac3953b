/**
 * Runs in a Chromium Web Worker (bundled by decode-in-chromium.ts): the console's TypeScript decoder on a
 * recording's packets. `load` hands the packets over once; each `run` decodes all of them and answers the time of each packet, for `apply` (decode) and for `updateRgba` (the CPU part of painting: the
 * changed pixels into the ImageData), and the SHA-256 of the final framebuffer. The worker stays up between runs,
 * as the console's does, so later runs measure optimised code, and so does its decoder: the recording starts with
 * a keyframe, which resets everything a decoder holds, and a fresh 8 MB framebuffer per run would bring the
 * garbage collector into the keyframe's time. A baseline checkout's decoder (run.ts
 * --baseline-dir) may predate `apply` and `updateRgba`: then `decode` is timed and no RGBA time is reported.
 */
import { Decoder } from '../../clients/codec/index.js';

export type DecodeJob = { type: 'load'; width: number; height: number; packets: ArrayBuffer[] } | { type: 'run' };

export interface DecodeRun {
  decodeMs: number[];
  rgbaMs: number[];
  /** SHA-256 (hex) of the final BGRA framebuffer, to check it against the recording's last frame. */
  sha256: string;
}

interface WorkerScope {
  onmessage: ((ev: MessageEvent<DecodeJob>) => void) | null;
  postMessage(msg: DecodeRun | { loaded: true } | { error: string }): void;
}
const scope = self as unknown as WorkerScope;

let job: { packets: Uint8Array[]; decoder: Decoder; rgba: Int32Array } | null = null;

scope.onmessage = async (ev) => {
  try {
    const msg = ev.data;
    if (msg.type === 'load') {
      job = { packets: msg.packets.map((b) => new Uint8Array(b)), decoder: new Decoder(msg.width, msg.height), rgba: new Int32Array(msg.width * msg.height) };
      return scope.postMessage({ loaded: true });
    }
    if (!job) throw new Error('run before load');
    const { decoder: d, rgba } = job;
    const decodeMs: number[] = [];
    const rgbaMs: number[] = [];
    const current = typeof d.apply === 'function' && typeof d.updateRgba === 'function';
    for (const packet of job.packets) {
      const t0 = performance.now();
      if (current) d.apply(packet);
      else d.decode(packet);
      const t1 = performance.now();
      if (current) d.updateRgba(rgba);
      decodeMs.push(t1 - t0);
      rgbaMs.push(current ? performance.now() - t1 : NaN);
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', d.frame() as Uint8Array<ArrayBuffer>));
    scope.postMessage({ decodeMs, rgbaMs, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') });
  } catch (err) {
    scope.postMessage({ error: String(err) });
  }
};
