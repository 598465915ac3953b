/** Messages between the customer page and its share worker (share-worker.ts). */
export type ToShareWorker =
  /** One captured picture; `keyframe` after a resync or a size change. */
  | { type: 'frame'; bitmap: ImageBitmap; keyframe: boolean }
  | { type: 'hash' };

export type FromShareWorker =
  /** The codec packet for the frame (the page adds the screen header); `changed` false for an unchanged frame. */
  | { type: 'packet'; packet: ArrayBuffer; keyframe: boolean; width: number; height: number; encodeMs: number }
  | { type: 'hash'; sha256: string | null; width: number; height: number }
  | { type: 'error'; message: string };
