/**
 * A screen recording as the session mix replays it: the corpus video decoded by ffmpeg, encoded once by
 * the native codec (docs/codec.md) into a keyframe and deltas, with each frame's offset at the
 * recording's own pace. Workers replay the same packets, so the generator never encodes on its hot path.
 * The coordinator encodes and writes the packets to one file; workers read that file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describeInput, readFrames } from '../codec/frames.js';
import { loadNative } from '../codec/native.js';

export interface Recording {
  label: string;
  width: number;
  height: number;
  /** Codec packets; [0] is a keyframe. */
  packets: Buffer[];
  /** ms from the start of the replay at which packets[i] is due. */
  offsetsMs: number[];
  /** One pass of the recording, ms (the replay loops). */
  durationMs: number;
}

/** Frame rate of the video (e.g. "15/1"), from ffprobe; 15 when it does not say. */
function frameRate(path: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const m = /^(\d+)\/(\d+)/.exec(r.stdout ?? '');
  const fps = m ? Number(m[1]) / Number(m[2]) : NaN;
  return Number.isFinite(fps) && fps > 0 ? fps : 15;
}

export async function encodeRecording(path: string, maxFrames: number): Promise<Recording> {
  statSync(path); // a missing file is named here, not as an ffmpeg error
  const input = describeInput(path);
  const fps = frameRate(path);
  const { Encoder } = loadNative();
  const encoder = new Encoder(input.width, input.height);
  const packets: Buffer[] = [];
  for await (const frame of readFrames(input, maxFrames)) packets.push(encoder.encode(frame));
  if (packets.length === 0) throw new Error(`${path}: no frames decoded`);
  const offsetsMs = packets.map((_, i) => (i * 1000) / fps);
  return { label: input.label, width: input.width, height: input.height, packets, offsetsMs, durationMs: (packets.length * 1000) / fps };
}

/** File layout: a JSON header line, then the packets back to back (lengths in the header). */
export function writeRecording(file: string, r: Recording): void {
  writeFileSync(file, recordingBytes(r));
}

export function readRecording(file: string): Recording {
  return readRecordingBytes(readFileSync(file));
}

export function recordingBytes(r: Recording): Buffer {
  const header = JSON.stringify({ label: r.label, width: r.width, height: r.height, offsetsMs: r.offsetsMs, durationMs: r.durationMs, lengths: r.packets.map((p) => p.length) });
  return Buffer.concat([Buffer.from(header + '\n'), ...r.packets]);
}

export function readRecordingBytes(bytes: Buffer): Recording {
  const nl = bytes.indexOf(0x0a);
  const h = JSON.parse(bytes.subarray(0, nl).toString()) as Omit<Recording, 'packets'> & { lengths: number[] };
  const packets: Buffer[] = [];
  let off = nl + 1;
  for (const len of h.lengths) {
    packets.push(bytes.subarray(off, off + len));
    off += len;
  }
  if (off !== bytes.length) throw new Error('truncated recording');
  return { label: h.label, width: h.width, height: h.height, offsetsMs: h.offsetsMs, durationMs: h.durationMs, packets };
}
