import { GatewayError } from '../errors/gateway-error.js';
import type { Power } from './channels.js';
import { displayTextProblem } from '../text/display-safety.js';

/** Protocol version of the JSON control envelope. Bumped only for incompatible changes (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;

/** Largest JSON control message, independent of the binary limit: control traffic is small. */
export const MAX_CONTROL_BYTES = 64 * 1024;
export const MAX_CHAT_CHARS = 4000;
export const MAX_NAME_CHARS = 80;

export type Role = 'customer' | 'technician';
export type PublicState = 'waiting' | 'active' | 'closed' | 'expired';

/** Messages a client sends. `v` is the protocol version, `type` the message type. */
export type ClientMessage =
  | { v: 1; type: 'join'; pin?: string; guid?: string; name: string }
  | { v: 1; type: 'pickup'; token: string; guid: string }
  /** First message of a party coming back to an active session (any gateway), with its resume token. */
  | { v: 1; type: 'resume'; guid: string; token: string }
  /** `seq`: the sender's chat sequence number, so the other party drops a replayed duplicate. */
  | { v: 1; type: 'chat'; text: string; seq?: number }
  /** End-to-end acknowledgement of the other party's chat up to `seq`; `sync` asks it to replay the rest. */
  | { v: 1; type: 'ack'; seq: number; sync?: boolean }
  | { v: 1; type: 'request'; power: Power }
  | { v: 1; type: 'grant'; power: Power }
  | { v: 1; type: 'revoke'; power: Power }
  | { v: 1; type: 'end' };

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
      /** On first pairing only, to each party its own: what it presents to resume after a disconnect. */
      resumeToken?: string;
    }
  | { v: 1; type: 'chat'; from: Role; text: string; at: number; seq?: number }
  | { v: 1; type: 'ack'; seq: number; sync?: boolean }
  /** The other party lost its connection (and may resume), or is back. */
  | { v: 1; type: 'peer'; state: 'reconnecting' | 'back' }
  /** To the customer: send a keyframe, the viewer's picture was lost (after a resume). */
  | { v: 1; type: 'resync' }
  | { v: 1; type: 'request'; power: Power }
  | { v: 1; type: 'grants'; powers: Power[] }
  | { v: 1; type: 'error'; code: string; message: string; url?: string }
  | { v: 1; type: 'reconnect'; reason: string };

const powers: readonly Power[] = ['view', 'control', 'files'];

/**
 * Parses and validates one text frame. Throws GatewayError with E_BAD_MESSAGE / E_UNKNOWN_TYPE /
 * E_UNSUPPORTED_VERSION / E_MESSAGE_TOO_LARGE: bad input is an exception, answered with an error frame.
 */
export function parseClientMessage(data: ArrayBuffer | string): ClientMessage {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  if (text.length > MAX_CONTROL_BYTES) throw new GatewayError('E_MESSAGE_TOO_LARGE', `control messages are limited to ${MAX_CONTROL_BYTES} bytes`);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new GatewayError('E_BAD_MESSAGE', 'control message is not valid JSON');
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new GatewayError('E_BAD_MESSAGE', 'control message must be a JSON object');
  const m = msg as Record<string, unknown>;
  if (m.v !== PROTOCOL_VERSION) throw new GatewayError('E_UNSUPPORTED_VERSION', `protocol version ${JSON.stringify(m.v)} is not supported; this gateway speaks v${PROTOCOL_VERSION}`);
  const str = (field: string, max: number, pattern?: RegExp): string => {
    const value = m[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > max || (pattern && !pattern.test(value))) {
      throw new GatewayError('E_BAD_MESSAGE', `"${field}" must be a string of 1 to ${max} characters${pattern ? ' in the right format' : ''}`);
    }
    return value;
  };
  const sequence = (field: string): number => {
    const value = m[field];
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new GatewayError('E_BAD_MESSAGE', `"${field}" must be a whole number ≥ 0`);
    return value as number;
  };
  const power = (): Power => {
    if (!powers.includes(m.power as Power)) throw new GatewayError('E_BAD_MESSAGE', `"power" must be one of ${powers.join(', ')}`);
    return m.power as Power;
  };
  switch (m.type) {
    case 'join': {
      const name = str('name', MAX_NAME_CHARS);
      const nameProblem = displayTextProblem(name);
      if (nameProblem) throw new GatewayError('E_BAD_MESSAGE', `"name" ${nameProblem}`);
      if ((m.pin === undefined) === (m.guid === undefined)) throw new GatewayError('E_BAD_MESSAGE', 'join needs exactly one of "pin" or "guid"');
      return m.pin !== undefined
        ? { v: 1, type: 'join', pin: str('pin', 16, /^\d{6,16}$/), name }
        : { v: 1, type: 'join', guid: str('guid', 32, /^[0-9a-f]{32}$/), name };
    }
    case 'pickup':
      return { v: 1, type: 'pickup', token: str('token', 256), guid: str('guid', 32, /^[0-9a-f]{32}$/) };
    case 'resume':
      return { v: 1, type: 'resume', guid: str('guid', 32, /^[0-9a-f]{32}$/), token: str('token', 64, /^[0-9a-f]{32}$/) };
    case 'chat': {
      const text = str('text', MAX_CHAT_CHARS);
      return m.seq === undefined ? { v: 1, type: 'chat', text } : { v: 1, type: 'chat', text, seq: sequence('seq') };
    }
    case 'ack':
      return { v: 1, type: 'ack', seq: sequence('seq'), sync: m.sync === true };
    case 'request':
    case 'grant':
    case 'revoke':
      return { v: 1, type: m.type, power: power() };
    case 'end':
      return { v: 1, type: 'end' };
    default:
      throw new GatewayError('E_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(m.type)}`);
  }
}

export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}
