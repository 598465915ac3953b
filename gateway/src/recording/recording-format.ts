/**
 * The recording file format (docs/recording.md): an 8-byte file header, then records back to back, each a
 * 9-byte record header (kind u8, time u32 big-endian: ms since its segment started, length u32 big-endian)
 * and `length` bytes of body. A file may hold several segments (one per time recording started in the
 * session), each opened by a `start` record. Written by recorder-socket.ts, read by recording-reader.ts.
 */

/** "RDREC", a zero byte, then the format version (u16 big-endian). */
export const FILE_MAGIC = Buffer.from('RDREC\u0000', 'latin1');
export const FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 9;
/** A record body is at most this long (a screen frame is at most the gateway's maxMessageBytes, ≤ 64 MiB). */
export const MAX_RECORD_BYTES = 128 << 20;

export const recordKinds = {
  /** JSON: what this segment is (RecordingStart). */
  start: 1,
  /** UTF-8 JSON: a control message the recorder received, as the gateway sent it (clipboard text left out). */
  control: 2,
  /** A binary message the recorder received: channel byte, then its payload (screen 0x01, cursor 0x05). */
  binary: 3,
  /** JSON: the segment ends (RecordingStop). */
  stop: 4,
} as const;
export type RecordKind = keyof typeof recordKinds;
const kindNames: (RecordKind | undefined)[] = [];
for (const [name, id] of Object.entries(recordKinds)) kindNames[id] = name as RecordKind;

/** Body of a `start` record. */
export interface RecordingStart {
  format: number;
  guid: string;
  orgId: string;
  /** The gateway that wrote this segment. */
  gateway: string;
  /** Epoch ms when the segment started: record times count from here. */
  startedAt: number;
  /** Why it records: the organisation's policy records every session, or the customer consented to a request. */
  mode: 'always' | 'on-request';
  /** The recorder's participant id (what the participants list shows). */
  recorder: string;
  /** on-request: the technician who asked, and the customer who consented. */
  requestedBy?: string;
  consentedBy?: string;
}

/** Body of a `stop` record. */
export interface RecordingStop {
  /** stopped (asked to), session_ended, failed (a write failed), slow (the disk could not keep up), gateway_shutdown. */
  reason: string;
  at: number;
  message?: string;
}

export function fileHeader(): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(b, 0);
  b.writeUInt16BE(FORMAT_VERSION, 6);
  return b;
}

/** One record, header and body in one buffer (the body is copied: callers hand views that do not live long). */
export function encodeRecord(kind: RecordKind, timeMs: number, body: Uint8Array | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  out[0] = recordKinds[kind];
  // Clamped, not wrapped: a session longer than 49 days (u32 ms) is not possible (maxSessionMinutes ≤ 7 days).
  out.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(timeMs))), 1);
  out.writeUInt32BE(payload.byteLength, 5);
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}

export interface RawRecord {
  kind: RecordKind;
  /** ms since the segment's start record. */
  time: number;
  body: Buffer;
  /** Byte offset of the record header in the file. */
  offset: number;
}

export class RecordingFormatError extends Error {
  override name = 'RecordingFormatError';
}

/**
 * Splits a whole recording into records. A file cut short (the gateway died mid-write) yields every whole
 * record and `truncatedAt`, the offset where the incomplete one starts; anything else malformed throws.
 */
export function parseRecords(file: Buffer): { records: RawRecord[]; truncatedAt: number | null } {
  // A file being created (or cut short before its header was whole) is an empty recording, not a foreign file.
  if (file.byteLength < FILE_HEADER_BYTES && fileHeader().subarray(0, file.byteLength).equals(file)) return { records: [], truncatedAt: 0 };
  if (file.byteLength < FILE_HEADER_BYTES || !file.subarray(0, 6).equals(FILE_MAGIC)) {
    throw new RecordingFormatError('not a relaydesk recording (the file does not start with "RDREC\\0")');
  }
  const version = file.readUInt16BE(6);
  if (version !== FORMAT_VERSION) throw new RecordingFormatError(`recording format version ${version} is not supported (this reader knows ${FORMAT_VERSION})`);
  const records: RawRecord[] = [];
  let at = FILE_HEADER_BYTES;
  while (at < file.byteLength) {
    if (file.byteLength - at < RECORD_HEADER_BYTES) return { records, truncatedAt: at };
    const id = file[at]!;
    const kind = kindNames[id];
    if (!kind) throw new RecordingFormatError(`unknown record kind ${id} at byte ${at}`);
    const length = file.readUInt32BE(at + 5);
    if (length > MAX_RECORD_BYTES) throw new RecordingFormatError(`record at byte ${at} claims ${length} bytes (at most ${MAX_RECORD_BYTES})`);
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > file.byteLength) return { records, truncatedAt: at };
    records.push({ kind, time: file.readUInt32BE(at + 1), body: file.subarray(at + RECORD_HEADER_BYTES, end), offset: at });
    at = end;
  }
  return { records, truncatedAt: null };
}
