import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import {
  StunAttr,
  StunType,
  encodeStun,
  encodeXorMappedAddress,
  isComprehensionRequired,
  parseStun,
  type MappedAddress,
  type StunParseError,
} from '../../../protocol/stun-message.js';

/**
 * The gateway's STUN endpoint (RFC 8489 Binding only): a party learns the address and port its NAT gives it,
 * its server-reflexive candidate. No authentication: a Binding answer tells the sender only what it sent
 * from (§9 allows that), and the endpoint is a poor reflector: its answer (40 bytes, no SOFTWARE attribute on
 * purpose) is at most twice the smallest request. Anything that is not a well-formed Binding request is dropped and counted.
 */
export type StunOutcome = 'answered' | 'unknown_attribute' | StunParseError | 'not_request' | 'not_binding';

export interface StunServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startStunServer(options: { host: string; port: number; onOutcome?: (o: StunOutcome) => void }): Promise<StunServer> {
  const socket = dgram.createSocket({ type: isIPv4(options.host) ? 'udp4' : 'udp6', ipv6Only: false });
  const count = options.onOutcome ?? (() => undefined);
  socket.on('message', (msg, rinfo) => {
    const answer = answerBinding(msg, rinfo);
    count(answer.outcome);
    if (answer.reply) socket.send(answer.reply, rinfo.port, rinfo.address);
  });
  // A send error (an ICMP unreachable reported on the socket) must never end the endpoint.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: socket.address().port,
    close: () => (closing ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}

/** Decides the answer to one datagram; exported so the parsing rules are tested without a socket. */
export function answerBinding(msg: Uint8Array, from: { address: string; port: number }): { outcome: StunOutcome; reply?: Uint8Array } {
  const parsed = parseStun(msg);
  if (!parsed.ok) return { outcome: parsed.error };
  const { message } = parsed;
  // Only requests get answers (§6.3): an answer to a response or an indication could loop between two servers.
  if ((message.type & 0x0110) !== 0x0000) return { outcome: 'not_request' };
  if (message.type !== StunType.bindingRequest) return { outcome: 'not_binding' };
  const unknown = message.attributes.filter((a) => isComprehensionRequired(a.type)).map((a) => a.type);
  if (unknown.length > 0) {
    // §6.3.1.1: a request with comprehension-required attributes we do not know gets 420 listing them.
    const list = new Uint8Array(unknown.length * 2);
    unknown.forEach((t, i) => new DataView(list.buffer).setUint16(i * 2, t));
    const reply = encodeStun(
      { type: StunType.bindingError, transactionId: message.transactionId, attributes: [{ type: StunAttr.errorCode, value: errorCode(420, 'Unknown Attribute') }, { type: StunAttr.unknownAttributes, value: list }] },
      { fingerprint: true },
    );
    return { outcome: 'unknown_attribute', reply };
  }
  const reply = encodeStun(
    {
      type: StunType.bindingSuccess,
      transactionId: message.transactionId,
      attributes: [
        { type: StunAttr.xorMappedAddress, value: encodeXorMappedAddress(mappedFrom(from), message.transactionId) },
      ],
    },
    { fingerprint: true },
  );
  return { outcome: 'answered', reply };
}

/** A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; the answer names them as IPv4. */
function mappedFrom(from: { address: string; port: number }): MappedAddress {
  const v4 = from.address.startsWith('::ffff:') ? from.address.slice(7) : from.address;
  return isIPv4(v4) ? { family: 4, address: v4, port: from.port } : { family: 6, address: from.address, port: from.port };
}

/** ERROR-CODE value (§14.8): class and number, then a UTF-8 reason phrase. */
function errorCode(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason);
  const out = new Uint8Array(4 + text.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  out.set(text, 4);
  return out;
}
