import { ScreenReceiver } from '../../../clients/sdk/src/screen/screen-receiver.js';
import { channels } from '../../../protocol/channels.js';
import { decodeCursor } from '../../../protocol/cursor-events.js';
import { readScreenHeader } from '../../../protocol/screen-header.js';
import { loadNativeCodec, type NativeDecoder } from '../screen/native-codec.js';
import type { Picture } from './picture-file.js';
import { parseRecords, RecordingFormatError, type RawRecord, type RecordingStart, type RecordingStop } from './recording-format.js';

/** One record of a recording, as a person reads it (the admin CLI's `recording events`). */
export interface RecordingEntry {
  /** Which segment (0, 1, …: one per time recording started). */
  segment: number;
  /** Epoch ms. */
  at: number;
  kind: RawRecord['kind'];
  /** start / stop / control: the JSON body. */
  json?: Record<string, unknown>;
  /** binary: the channel and, for the screen, its header. */
  channel?: number;
  screen?: { keyframe: boolean; repair: boolean; frame: number; base: number; bytes: number };
  /** cursor: where the pointer is, or the shape's size (its pixels are left in the file). */
  cursor?: { type: 'position'; x: number; y: number; visible: boolean } | { type: 'shape'; width: number; height: number };
  bytes: number;
}

export interface Recording {
  segments: RecordingStart[];
  entries: RecordingEntry[];
  /** Where an incomplete last record starts (the writer stopped mid-record), or null. */
  truncatedAt: number | null;
}

/** Reads a whole recording file's bytes (docs/recording.md). Throws RecordingFormatError for a malformed one. */
export function readRecording(file: Buffer): Recording {
  const { records, truncatedAt } = parseRecords(file);
  const segments: RecordingStart[] = [];
  const entries: RecordingEntry[] = [];
  for (const r of records) {
    if (r.kind === 'start') segments.push(json(r) as unknown as RecordingStart);
    const segment = segments.length - 1;
    if (segment < 0) throw new RecordingFormatError(`the first record (byte ${r.offset}) is not a start record`);
    const entry: RecordingEntry = { segment, at: segments[segment]!.startedAt + r.time, kind: r.kind, bytes: r.body.byteLength };
    if (r.kind === 'binary') {
      entry.channel = r.body[0];
      if (entry.channel === channels.screen.id) {
        const h = readScreenHeader(r.body);
        if (h) entry.screen = { ...h, bytes: r.body.byteLength };
      } else if (entry.channel === channels.cursor.id) {
        const c = decodeCursor(r.body.subarray(1));
        if (c) entry.cursor = c.type === 'position' ? c : { type: 'shape', width: c.width, height: c.height };
      }
    } else {
      entry.json = json(r);
    }
    entries.push(entry);
  }
  return { segments, entries, truncatedAt };
}

/**
 * The screen as a viewer saw it after frame `frame` (the agent's frame number), or after the last frame when
 * `frame` is undefined. Decoded with the native codec through the SDK's ScreenReceiver, the same chain rule a
 * viewer applies (a delta only on its base), segment by segment (each starts with a keyframe). Null when the
 * recording holds no picture, or not that frame.
 */
export function pictureAt(file: Buffer, frame?: number): (Picture & { frame: number; segment: number }) | null {
  const codec = loadNativeCodec();
  const { records } = parseRecords(file);
  let receiver: ScreenReceiver<NativeDecoder> | null = null;
  let segment = -1;
  /** The receiver that applied the newest picture, and in which segment (a later segment may have none). */
  let shown: { receiver: ScreenReceiver<NativeDecoder>; segment: number } | null = null;
  const snapshot = (s: { receiver: ScreenReceiver<NativeDecoder>; segment: number }) => {
    const d = s.receiver.decoder!;
    return { width: d.width, height: d.height, bgra: d.frame(), frame: s.receiver.frame, segment: s.segment };
  };
  for (const r of records) {
    if (r.kind === 'start') {
      segment++;
      receiver = new ScreenReceiver<NativeDecoder>({ createDecoder: (w, h) => new codec.Decoder(w, h) });
      continue;
    }
    if (r.kind !== 'binary' || r.body[0] !== channels.screen.id || !receiver) continue;
    const outcome = receiver.receive(r.body);
    if (outcome !== 'applied' && outcome !== 'repaired') continue;
    shown = { receiver, segment };
    if (frame !== undefined && receiver.frame === frame) return snapshot(shown);
  }
  return frame === undefined && shown ? snapshot(shown) : null;
}

function json(r: RawRecord): Record<string, unknown> {
  try {
    return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RecordingFormatError(`the ${r.kind} record at byte ${r.offset} is not valid JSON`);
  }
}

export type { RecordingStart, RecordingStop };
