import * as v from 'valibot';
import { powers, type Power } from './channels.js';
import type { ErrorCode } from './error-codes.js';
import { displayTextProblem } from './display-text.js';
import { formAnswersSchema, type FormField } from './pre-session-form.js';
import { MAX_FILE_MIME_CHARS, MAX_FILE_OFFER_ID, fileCancelReasons, type FileCancelReason } from './file-transfer.js';

/**
 * The JSON control envelope, the one definition for the gateway and every client (docs/protocol.md).
 * Client messages are checked at run time with valibot schemas; server messages are typed here and built
 * only by the gateway. No Node APIs: the browser SDK imports this file.
 */

/** Bumped only for incompatible changes. Additions (types, fields, channels) keep it. */
export const PROTOCOL_VERSION = 1;
/** Largest JSON control message, independent of the binary limit: control traffic is small. */
export const MAX_CONTROL_BYTES = 64 * 1024;
export const MAX_CHAT_CHARS = 4000;
export const MAX_NAME_CHARS = 80;
export const MAX_CLIPBOARD_CHARS = 60_000;
/** Signalling payloads (path candidates, key fingerprints) and system information. */
export const MAX_SIGNAL_BYTES = 16 * 1024;
export const MAX_SYSINFO_BYTES = 48 * 1024;

export type Role = 'customer' | 'technician' | 'system';
export type PublicState = 'waiting' | 'active' | 'closed' | 'expired';

const guid = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'));
const resumeToken = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'));
const bearer = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
const text = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max, `must be at most ${max} characters`));
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const power = v.picklist(powers, `must be one of ${powers.join(', ')}`);
const participantId = v.pipe(v.string(), v.regex(/^[a-z][0-9]{1,6}$/, 'must be a participant id such as "t2"'));
/** A small JSON object whose encoded size is bounded (free-form payloads the gateway relays). */
const boundedObject = (maxBytes: number) =>
  v.pipe(
    v.record(v.string(), v.unknown()),
    v.check((o) => JSON.stringify(o).length <= maxBytes, `must encode to at most ${maxBytes} bytes`),
  );
export const recordingActions = ['request', 'stop', 'consent', 'refuse'] as const;
export type RecordingAction = (typeof recordingActions)[number];
const dimension = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16384));
const fileOfferId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_FILE_OFFER_ID, 'must be a u32 other than 0'));
const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)'));

const hello = {
  join: v.object({
    type: v.literal('join'),
    pin: v.optional(v.pipe(v.string(), v.regex(/^\d{6,16}$/, 'must be 6 to 16 digits'))),
    guid: v.optional(guid),
    name: v.pipe(text(MAX_NAME_CHARS), v.check((n) => displayTextProblem(n) === null, 'must not contain control characters')),
    /** Answers to the organisation's pre-session form (protocol/pre-session-form.ts), key → text. */
    form: v.optional(formAnswersSchema),
    /** Nobody is at the customer's machine (an agent left running): only its standing grants apply, no prompts. */
    unattended: v.optional(v.boolean()),
  }),
  pickup: v.object({ type: v.literal('pickup'), token: bearer, guid }),
  /** A further technician of the session's organisation joins an active session as a viewer. */
  attend: v.object({ type: v.literal('attend'), token: bearer, guid }),
  resume: v.object({ type: v.literal('resume'), guid, token: resumeToken }),
};

const inSession = {
  chat: v.object({ type: v.literal('chat'), text: text(MAX_CHAT_CHARS), seq: v.optional(count) }),
  /** Acknowledges `to`'s chat up to `seq`; `sync` asks `to` to replay what follows. */
  ack: v.object({ type: v.literal('ack'), seq: count, sync: v.optional(v.boolean()), to: v.optional(participantId) }),
  request: v.object({ type: v.literal('request'), power }),
  grant: v.object({ type: v.literal('grant'), power }),
  revoke: v.object({ type: v.literal('revoke'), power }),
  /** The technician holding control (or the customer) gives it to another technician. */
  pass: v.object({ type: v.literal('pass'), to: participantId }),
  /** A technician leaves; the session goes on while a technician remains. */
  leave: v.object({ type: v.literal('leave') }),
  end: v.object({ type: v.literal('end') }),
  /** Bulk flow control: the receiver has consumed `bytes` more bulk bytes (the gateway knows whose). */
  credit: v.object({ type: v.literal('credit'), bytes: count }),
  /** Opaque signalling (path candidates, key fingerprints) for one participant. */
  signal: v.object({ type: v.literal('signal'), to: v.optional(participantId), data: boundedObject(MAX_SIGNAL_BYTES) }),
  share: v.object({
    type: v.literal('share'),
    state: v.picklist(['live', 'paused']),
    kind: v.optional(v.picklist(['monitor', 'window'])),
    width: v.optional(dimension),
    height: v.optional(dimension),
  }),
  clipboard: v.object({ type: v.literal('clipboard'), text: text(MAX_CLIPBOARD_CHARS) }),
  sysinfo: v.object({ type: v.literal('sysinfo'), info: boundedObject(MAX_SYSINFO_BYTES) }),
  /**
   * Recording (docs/recording.md): the technician holding control asks (`request`) or stops (`stop`) it; the
   * customer answers a request (`consent` / `refuse`) or withdraws consent (`stop`).
   */
  recording: v.object({ type: v.literal('recording'), action: v.picklist(recordingActions, `must be one of ${recordingActions.join(', ')}`) }),
  // File transfer (protocol/file-transfer.ts, docs/protocol.md "Files"). The name is checked (path stripped,
  // no control characters) by the gateway, which relays the stripped name.
  'file-offer': v.object({
    type: v.literal('file-offer'),
    id: fileOfferId,
    name: v.pipe(v.string(), v.maxLength(1024, 'must be at most 1024 characters before its path is stripped')),
    size: count,
    mime: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,127}$/, `must be 1 to ${MAX_FILE_MIME_CHARS} printable ASCII characters`))),
    to: v.optional(participantId),
  }),
  'file-accept': v.object({ type: v.literal('file-accept'), id: fileOfferId }),
  'file-cancel': v.object({ type: v.literal('file-cancel'), id: fileOfferId, reason: v.optional(v.picklist(fileCancelReasons)) }),
  'file-done': v.object({ type: v.literal('file-done'), id: fileOfferId, sha256: sha256Hex }),
  'file-result': v.object({ type: v.literal('file-result'), id: fileOfferId, ok: v.boolean() }),
};

const schemas = { ...hello, ...inSession };
export type ClientMessageType = keyof typeof schemas;
export type ClientMessage = { [K in ClientMessageType]: v.InferOutput<(typeof schemas)[K]> & { v: 1 } }[ClientMessageType];
export type ClientMessageOf<K extends ClientMessageType> = Extract<ClientMessage, { type: K }>;
export const helloTypes: readonly ClientMessageType[] = Object.keys(hello) as ClientMessageType[];

/** The organisation's policy of a session, as the participants see it (gateway/src/policy/org-policy.ts). */
export interface SessionPolicyView {
  allowedPowers: string[];
  recording: 'off' | 'on-request' | 'always';
  relayOnly: boolean;
  fileTransfer: { maxBytes: number; directions: string[] };
  unattendedAccess: boolean;
  maxSessionMinutes: number;
  grantsSurviveTransfer: boolean;
}

/** A participant as everyone in the session sees it. */
export interface ParticipantInfo {
  id: string;
  role: Role;
  name: string;
  /** How its traffic travels: the relay, or a direct path (tcp, udp) it announced (issue 12). */
  path: 'relay' | 'tcp' | 'udp';
}

/** Messages the gateway sends. */
export type ServerMessage =
  | {
      v: 1;
      type: 'state';
      state: PublicState;
      guid: string;
      expiresAt?: number;
      customerName?: string;
      technician?: string;
      reason?: string;
      /** To each participant its own, on pairing and on every resume: what it presents to resume next time. */
      resumeToken?: string;
      /** This participant's id in the session. */
      you?: string;
      /** (active) What the organisation allows in this session, so both sides can show it. */
      policy?: SessionPolicyView;
      /** (active, to technicians) The customer's agent said nobody is at the machine: no prompts, only its standing grants. */
      unattended?: boolean;
    }
  | { v: 1; type: 'chat'; from: Role; fromId: string; name: string; text: string; at: number; seq?: number }
  | { v: 1; type: 'ack'; seq: number; sync?: boolean; from: string }
  /** Who is in the session now, and who holds control. Sent to everyone on every change. */
  | { v: 1; type: 'participants'; you: string; controller: string | null; list: ParticipantInfo[] }
  /** The other party (or, with `id`, that participant) lost its connection and may resume, or is back. */
  | { v: 1; type: 'peer'; state: 'reconnecting' | 'back'; id?: string; newAddress?: boolean }
  /** To the customer's agent: send a repair keyframe, a viewer lost its picture. */
  | { v: 1; type: 'resync' }
  | { v: 1; type: 'request'; power: Power; from: string; name: string }
  | { v: 1; type: 'grants'; powers: Power[] }
  /** To a bulk sender: it may send `bytes` more bulk bytes (on top of what it was given before on this connection). */
  | { v: 1; type: 'credit'; bytes: number }
  | { v: 1; type: 'signal'; from: string; data: Record<string, unknown> }
  | { v: 1; type: 'share'; state: 'live' | 'paused'; kind?: 'monitor' | 'window'; width?: number; height?: number }
  | { v: 1; type: 'clipboard'; text: string; from: string }
  | { v: 1; type: 'sysinfo'; info: Record<string, unknown> }
  /** File transfer (docs/protocol.md "Files"): an offer for the receiver, its acceptance for the sender, … */
  | { v: 1; type: 'file-offer'; id: number; name: string; size: number; mime?: string; from: string }
  | { v: 1; type: 'file-accept'; id: number; from: string }
  /**
   * `from` absent: the gateway stopped the transfer (size, revoke, a party left) or refused the sender's
   * message about it; then `code` and `message` say why (the same as the `error` frame sent with it).
   */
  | { v: 1; type: 'file-cancel'; id: number; reason: FileCancelReason; from?: string; code?: ErrorCode; message?: string }
  | { v: 1; type: 'file-done'; id: number; sha256: string; from: string }
  | { v: 1; type: 'file-result'; id: number; ok: boolean; from: string }
  /** `form`: with E_FORM_REQUIRED and E_FORM_INVALID, the organisation's pre-session form to answer. */
  | { v: 1; type: 'error'; code: ErrorCode; message: string; url?: string; form?: FormField[] }
  | { v: 1; type: 'reconnect'; reason: string }
  /**
   * Recording of the session (docs/recording.md), to everyone: `requested` (a technician asks the customer),
   * `refused` (the customer said no), `on` (the recorder `recorder` joined; `from`: who asked, absent when the
   * policy records every session), `off` (`reason`: stopped, failed, slow; `message` says more; nothing is sent when the session or the gateway ends).
   */
  | { v: 1; type: 'recording'; state: 'requested' | 'refused' | 'on' | 'off'; from?: string; name?: string; recorder?: string; reason?: string; message?: string };

export type ServerMessageOf<K extends ServerMessage['type']> = Extract<ServerMessage, { type: K }>;

/** Why a text frame was refused; the gateway turns it into an `error` frame (and a close before the handshake). */
export class ProtocolError extends Error {
  constructor(
    readonly code: 'E_BAD_MESSAGE' | 'E_UNKNOWN_TYPE' | 'E_UNSUPPORTED_VERSION' | 'E_MESSAGE_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Parses and validates one text frame from a client. Throws ProtocolError; the result is typed and stripped of unknown fields. */
export function parseClientMessage(raw: string): ClientMessage {
  if (raw.length > MAX_CONTROL_BYTES) throw new ProtocolError('E_MESSAGE_TOO_LARGE', `control messages are limited to ${MAX_CONTROL_BYTES} bytes`);
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw new ProtocolError('E_BAD_MESSAGE', 'control message is not valid JSON');
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new ProtocolError('E_BAD_MESSAGE', 'control message must be a JSON object');
  const m = msg as Record<string, unknown>;
  if (m.v !== PROTOCOL_VERSION) throw new ProtocolError('E_UNSUPPORTED_VERSION', `protocol version ${JSON.stringify(m.v)} is not supported; this gateway speaks v${PROTOCOL_VERSION}`);
  const type = m.type;
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) throw new ProtocolError('E_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type)}`);
  const result = v.safeParse(schemas[type as ClientMessageType], m);
  if (!result.success) {
    const issue = result.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join('.') ?? 'message';
    throw new ProtocolError('E_BAD_MESSAGE', `${type}: "${field}" ${issue.message}`);
  }
  const out = { v: 1, ...result.output } as ClientMessage;
  if (out.type === 'join' && (out.pin === undefined) === (out.guid === undefined)) throw new ProtocolError('E_BAD_MESSAGE', 'join needs exactly one of "pin" or "guid"');
  return out;
}

export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}
