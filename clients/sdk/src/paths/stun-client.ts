import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { StunAttr, StunType, decodeXorMappedAddress, encodeStun, parseStun, type MappedAddress } from '../../../../protocol/stun-message.js';

export interface StunBindingOptions {
  /** First retransmission timeout; it doubles after each try (RFC 8489 §6.2.1). */
  rtoMs?: number;
  /** Requests sent in all (RFC 8489's Rc is 7; a session cannot wait that long, so fewer by default). */
  attempts?: number;
}

export class StunTimeoutError extends Error {
  readonly code = 'E_STUN_TIMEOUT';
}

/**
 * Asks a STUN server which address and port our datagrams arrive from (the server-reflexive address).
 * Runs on the caller's socket, so the mapping learned is the one a hole punch from that socket uses; other
 * datagrams on the socket are left to their own listeners. Bounded: `attempts` requests, then a timeout.
 */
export function stunBinding(socket: dgram.Socket, server: { host: string; port: number }, options: StunBindingOptions = {}): Promise<MappedAddress> {
  const rtoMs = options.rtoMs ?? 250;
  const attempts = options.attempts ?? 4;
  const transactionId = new Uint8Array(randomBytes(12));
  const request = encodeStun({ type: StunType.bindingRequest, transactionId, attributes: [] }, { fingerprint: true });
  return new Promise((resolve, reject) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, mapped?: MappedAddress) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      if (err) reject(err);
      else resolve(mapped!);
    };
    const onMessage = (msg: Buffer) => {
      const parsed = parseStun(msg);
      if (!parsed.ok || !parsed.fingerprinted) return; // not ours: other traffic shares the socket
      const m = parsed.message;
      if (!equalBytes(m.transactionId, transactionId)) return;
      if (m.type !== StunType.bindingSuccess) return finish(new Error(`STUN server answered with type 0x${m.type.toString(16)}`));
      const attr = m.attributes.find((a) => a.type === StunAttr.xorMappedAddress);
      const mapped = attr && decodeXorMappedAddress(attr.value, transactionId);
      if (!mapped) return finish(new Error('STUN answer without a valid XOR-MAPPED-ADDRESS'));
      finish(null, mapped);
    };
    const send = () => {
      if (sent === attempts) return finish(new StunTimeoutError(`no STUN answer from ${server.host}:${server.port} after ${attempts} requests`));
      socket.send(request, server.port, server.host);
      timer = setTimeout(send, rtoMs << sent++);
    };
    socket.on('message', onMessage);
    send();
  });
}

/** The reflexive address of a fresh socket (closed afterwards): for a quick NAT check. */
export async function reflexiveAddress(server: { host: string; port: number }, options: StunBindingOptions & { localPort?: number } = {}): Promise<MappedAddress & { localPort: number }> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(options.localPort ?? 0, resolve));
    const mapped = await stunBinding(socket, server, options);
    return { ...mapped, localPort: socket.address().port };
  } finally {
    socket.close();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
