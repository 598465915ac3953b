import { crc32 } from './crc32.js';

/**
 * STUN messages (RFC 8489), the part relaydesk uses: Binding requests and responses with XOR-MAPPED-ADDRESS
 * and FINGERPRINT. One codec for both sides: the gateway's STUN endpoint and the SDK's client import this
 * file (no Node APIs, like everything in protocol/).
 */
export const MAGIC_COOKIE = 0x2112a442;
const HEADER = 20;
const FINGERPRINT_XOR = 0x5354554e; // "STUN", §14.7

export const StunType = { bindingRequest: 0x0001, bindingIndication: 0x0011, bindingSuccess: 0x0101, bindingError: 0x0111 } as const;
export const StunAttr = {
  xorMappedAddress: 0x0020,
  errorCode: 0x0009,
  unknownAttributes: 0x000a,
  software: 0x8022,
  fingerprint: 0x8028,
} as const;

export interface StunAttribute {
  type: number;
  value: Uint8Array;
}

export interface StunMessage {
  type: number;
  transactionId: Uint8Array;
  attributes: StunAttribute[];
}

export interface MappedAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/** Why a datagram is not a STUN message we accept: also the label of the gateway's drop counter. */
export type StunParseError = 'short' | 'not_stun' | 'bad_length' | 'bad_attribute' | 'bad_fingerprint' | 'too_long';

/** The largest message we parse: a Binding request is 20-100 bytes; this bounds the work per datagram. */
export const MAX_STUN_BYTES = 548; // RFC 8489 §6.1: fits the IPv4 minimum path MTU

export type ParseResult = { ok: true; message: StunMessage; fingerprinted: boolean } | { ok: false; error: StunParseError };

/** Strict parse (RFC 8489 §5, §14): any malformation is an error value, never an exception. */
export function parseStun(buf: Uint8Array): ParseResult {
  if (buf.length < HEADER) return { ok: false, error: 'short' };
  if (buf.length > MAX_STUN_BYTES) return { ok: false, error: 'too_long' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = view.getUint16(0);
  if (type & 0xc000 || view.getUint32(4) !== MAGIC_COOKIE) return { ok: false, error: 'not_stun' };
  const length = view.getUint16(2);
  if (length % 4 !== 0 || HEADER + length !== buf.length) return { ok: false, error: 'bad_length' };
  const attributes: StunAttribute[] = [];
  let offset = HEADER;
  let fingerprinted = false;
  while (offset < buf.length) {
    if (fingerprinted) return { ok: false, error: 'bad_attribute' }; // FINGERPRINT must be last (§14.7)
    if (offset + 4 > buf.length) return { ok: false, error: 'bad_attribute' };
    const attrType = view.getUint16(offset);
    const attrLength = view.getUint16(offset + 2);
    const padded = (attrLength + 3) & ~3;
    if (offset + 4 + padded > buf.length) return { ok: false, error: 'bad_attribute' };
    const value = buf.subarray(offset + 4, offset + 4 + attrLength);
    if (attrType === StunAttr.fingerprint) {
      if (attrLength !== 4) return { ok: false, error: 'bad_attribute' };
      const expected = (crc32(buf.subarray(0, offset)) ^ FINGERPRINT_XOR) >>> 0;
      if (view.getUint32(offset + 4) !== expected) return { ok: false, error: 'bad_fingerprint' };
      fingerprinted = true;
    }
    attributes.push({ type: attrType, value });
    offset += 4 + padded;
  }
  return { ok: true, message: { type, transactionId: buf.slice(8, 20), attributes }, fingerprinted };
}

/** Encodes a message; with `fingerprint` a FINGERPRINT attribute is appended (§14.7). */
export function encodeStun(message: StunMessage, options: { fingerprint?: boolean } = {}): Uint8Array {
  if (message.transactionId.length !== 12) throw new Error('STUN transaction id must be 12 bytes');
  let length = 0;
  for (const a of message.attributes) length += 4 + ((a.value.length + 3) & ~3);
  const total = HEADER + length + (options.fingerprint ? 8 : 0);
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  view.setUint16(0, message.type);
  view.setUint16(2, total - HEADER);
  view.setUint32(4, MAGIC_COOKIE);
  buf.set(message.transactionId, 8);
  let offset = HEADER;
  for (const a of message.attributes) {
    view.setUint16(offset, a.type);
    view.setUint16(offset + 2, a.value.length);
    buf.set(a.value, offset + 4);
    offset += 4 + ((a.value.length + 3) & ~3);
  }
  if (options.fingerprint) {
    view.setUint16(offset, StunAttr.fingerprint);
    view.setUint16(offset + 2, 4);
    view.setUint32(offset + 4, (crc32(buf.subarray(0, offset)) ^ FINGERPRINT_XOR) >>> 0);
  }
  return buf;
}

/** XOR-MAPPED-ADDRESS value (§14.2): port and address XORed with the cookie (and the transaction id for IPv6). */
export function encodeXorMappedAddress(mapped: MappedAddress, transactionId: Uint8Array): Uint8Array {
  const raw = mapped.family === 4 ? ipv4Bytes(mapped.address) : ipv6Bytes(mapped.address);
  const out = new Uint8Array(4 + raw.length);
  const view = new DataView(out.buffer);
  out[1] = mapped.family === 4 ? 0x01 : 0x02;
  view.setUint16(2, mapped.port ^ (MAGIC_COOKIE >>> 16));
  const mask = xorMask(transactionId);
  for (let i = 0; i < raw.length; i++) out[4 + i] = raw[i]! ^ mask[i]!;
  return out;
}

export function decodeXorMappedAddress(value: Uint8Array, transactionId: Uint8Array): MappedAddress | null {
  if (value.length < 4) return null;
  const family = value[1] === 0x01 ? 4 : value[1] === 0x02 ? 6 : null;
  if (!family || value.length !== (family === 4 ? 8 : 20)) return null;
  const port = ((value[2]! << 8) | value[3]!) ^ (MAGIC_COOKIE >>> 16);
  const mask = xorMask(transactionId);
  const raw = value.subarray(4).map((b, i) => b ^ mask[i]!);
  return { family, port, address: family === 4 ? raw.join('.') : ipv6Text(raw) };
}

function xorMask(transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(16);
  new DataView(mask.buffer).setUint32(0, MAGIC_COOKIE);
  mask.set(transactionId, 4);
  return mask;
}

function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return Uint8Array.from(parts);
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail] = address.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (all.length !== 8) throw new Error(`not an IPv6 address: ${address}`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function ipv6Text(raw: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i]! << 8) | raw[i + 1]!).toString(16));
  return groups.join(':');
}

/** The STUN attributes a Binding request may carry that we understand; any other comprehension-required one gets 420. */
export const isComprehensionRequired = (type: number) => type < 0x8000;
