/**
 * File transfer (docs/protocol.md, "Files"): the rules every side applies to a file offer, and the layout of a
 * file chunk on channel 0x03. Shared by the gateway, the SDK (Node and browser) and the agent, so the gateway's
 * check and the agent's own check on a direct path are the same code. No Node APIs.
 */
import { displayTextProblem } from './display-text.js';

/** Longest file name offered (characters, after the path is stripped). */
export const MAX_FILE_NAME_CHARS = 255;
export const MAX_FILE_MIME_CHARS = 127;
/** File offers open at once in one session (offered, accepted or sent and not yet confirmed): reserved before the offer is relayed. */
export const MAX_OPEN_FILE_OFFERS = 8;
/** Offer ids are u32, chosen by the sender, unique among the session's open offers; 0 is never used. */
export const MAX_FILE_OFFER_ID = 0xffff_ffff;
/** Channel byte + offer id (u32 big-endian). */
export const FILE_CHUNK_HEADER_BYTES = 5;
/** File bytes per chunk the SDK sends: 60 KiB, well inside the bulk credit window (2 MiB by default). */
export const FILE_CHUNK_DATA_BYTES = 60 * 1024;

export type FileDirection = 'to-customer' | 'from-customer';

/** Why a transfer stopped (`file-cancel`'s `reason`). */
export const fileCancelReasons = ['refused', 'cancelled', 'checksum', 'size', 'revoked', 'left', 'policy', 'failed'] as const;
export type FileCancelReason = (typeof fileCancelReasons)[number];

/** What the policy of a session says about files (SessionPolicy and SessionPolicyView both have it). */
export interface FilePolicy {
  fileTransfer: { maxBytes: number; directions: readonly string[] };
}

/** Null when a file of `sizeBytes` may go in `direction` under `policy`, else why not. */
export function fileTransferProblem(policy: FilePolicy, direction: FileDirection, sizeBytes: number): string | null {
  if (!policy.fileTransfer.directions.includes(direction)) return `file transfer ${direction} is not allowed by policy`;
  if (!(sizeBytes >= 0) || sizeBytes > policy.fileTransfer.maxBytes) {
    return `files are limited to ${policy.fileTransfer.maxBytes} bytes by policy`;
  }
  return null;
}

/** The direction of a file a participant of `role` sends. */
export function fileDirectionOf(role: string): FileDirection {
  return role === 'customer' ? 'from-customer' : 'to-customer';
}

/**
 * The name a file is offered under: whatever path the sender put in front is dropped (a name is never a path:
 * "../../.bashrc" is offered as ".bashrc", "C:\\x\\y.txt" as "y.txt"). Throws nothing; see fileNameProblem.
 */
export function fileBaseName(name: string): string {
  const parts = name.split(/[/\\]/);
  return parts[parts.length - 1]!;
}

/**
 * Null when `name` (already stripped of its path) may be offered and shown, else what is wrong: empty, "." or
 * "..", too long, or with control or bidirectional-override characters (protocol/display-text.ts).
 */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty (nor end with a path separator)';
  if (name === '.' || name === '..') return `must not be "${name}"`;
  if (name.length > MAX_FILE_NAME_CHARS) return `must be at most ${MAX_FILE_NAME_CHARS} characters`;
  return displayTextProblem(name);
}

/**
 * The offer id of a file chunk: the u32 big-endian at `at` (1 in a whole frame, after the channel byte; 0 in a
 * payload without it), or -1 when the bytes are too short to hold one.
 */
export function fileOfferIdAt(bytes: Uint8Array, at: number): number {
  if (bytes.byteLength < at + 4) return -1;
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes a chunk header (the channel byte, then the offer id) into the first 5 bytes of `frame`. */
export function writeFileChunkHeader(frame: Uint8Array, channelId: number, offerId: number): void {
  frame[0] = channelId;
  frame[1] = offerId >>> 24;
  frame[2] = (offerId >>> 16) & 0xff;
  frame[3] = (offerId >>> 8) & 0xff;
  frame[4] = offerId & 0xff;
}
