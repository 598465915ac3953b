/** Messages between the console page and its screen worker (screen-worker.ts). */
export type ToWorker =
  | { type: 'init'; canvas: OffscreenCanvas }
  /** A whole screen message (channel byte, header, codec packet); `arrivedAt` is epoch ms with fractions. */
  | { type: 'frame'; data: ArrayBuffer; offset: number; arrivedAt: number }
  | { type: 'snapshot'; id: number }
  | { type: 'stats'; id: number; reset?: boolean }
  | { type: 'reset' };

export type FromWorker =
  | { type: 'size'; width: number; height: number }
  /** A frame is on the canvas. */
  | { type: 'painted'; frame: number }
  /** A delta arrived whose base is not our picture: dropped; the picture is behind until a keyframe. */
  | { type: 'lost'; frame: number; base: number; have: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'snapshot'; id: number; width: number; height: number; rgba: ArrayBuffer | null }
  | { type: 'stats'; id: number; decodeMs: number[]; paintMs: number[]; arrivalToPaintMs: number[]; frames: number; lost: number };
