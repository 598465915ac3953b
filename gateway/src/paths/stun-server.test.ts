import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../../protocol/crc32.js';
import { StunAttr, StunType, decodeXorMappedAddress, encodeStun, parseStun } from '../../../protocol/stun-message.js';
import { reflexiveAddress, stunBinding } from '../../../clients/sdk/src/paths/stun-client.js';
import { answerBinding, startStunServer, type StunOutcome, type StunServer } from './stun-server.js';

const from = { address: '198.51.100.7', port: 40000 };
const request = (attributes: { type: number; value: Uint8Array }[] = [], fingerprint = true, type: number = StunType.bindingRequest) =>
  encodeStun({ type, transactionId: new Uint8Array(randomBytes(12)), attributes }, { fingerprint });

describe('STUN message codec (RFC 8489)', () => {
  it('CRC-32 agrees with zlib', () => {
    for (const len of [0, 1, 20, 547]) {
      const b = new Uint8Array(randomBytes(len));
      expect(crc32(b)).toBe(zlibCrc32(b));
    }
  });

  it('decodes the XOR-MAPPED-ADDRESS of the RFC 5769 §2.2 sample response (192.0.2.1:32853)', () => {
    const txid = Uint8Array.from([0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae]);
    const value = Uint8Array.from([0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43]);
    expect(decodeXorMappedAddress(value, txid)).toEqual({ family: 4, address: '192.0.2.1', port: 32853 });
  });

  it('answers a Binding request with the sender address, fingerprinted', () => {
    const req = request();
    const { outcome, reply } = answerBinding(req, from);
    expect(outcome).toBe('answered');
    const parsed = parseStun(reply!);
    expect(parsed.ok && parsed.fingerprinted).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.message.type).toBe(StunType.bindingSuccess);
    expect(parsed.message.transactionId).toEqual(req.subarray(8, 20));
    const xma = parsed.message.attributes.find((a) => a.type === StunAttr.xorMappedAddress)!;
    expect(decodeXorMappedAddress(xma.value, parsed.message.transactionId)).toEqual({ family: 4, ...from });
    expect(reply!.length).toBeLessThanOrEqual(2 * 20); // never more than twice the smallest request
  });

  it('answers IPv6 and IPv4-mapped senders', () => {
    const v6 = answerBinding(request(), { address: '2001:db8::1', port: 5 }).reply!;
    const p6 = parseStun(v6);
    if (!p6.ok) throw new Error('no answer');
    expect(decodeXorMappedAddress(p6.message.attributes[0]!.value, p6.message.transactionId)).toEqual({ family: 6, address: '2001:db8:0:0:0:0:0:1', port: 5 });
    const mapped = parseStun(answerBinding(request(), { address: '::ffff:192.0.2.9', port: 6 }).reply!);
    if (!mapped.ok) throw new Error('no answer');
    expect(decodeXorMappedAddress(mapped.message.attributes[0]!.value, mapped.message.transactionId)).toEqual({ family: 4, address: '192.0.2.9', port: 6 });
  });

  it('drops malformed datagrams with the reason, and never answers them', () => {
    const good = request();
    const cases: [string, Uint8Array, StunOutcome][] = [
      ['empty', new Uint8Array(0), 'short'],
      ['19 bytes', good.subarray(0, 19), 'short'],
      ['too long', new Uint8Array(2000), 'too_long'],
      ['wrong cookie', Uint8Array.from(good, (b, i) => (i === 4 ? b ^ 1 : b)), 'not_stun'],
      ['top bits set (RTP/DTLS)', Uint8Array.from(good, (b, i) => (i === 0 ? 0x80 : b)), 'not_stun'],
      ['length not a multiple of 4', Uint8Array.from(good, (b, i) => (i === 3 ? b + 1 : b)), 'bad_length'],
      ['length beyond the datagram', Uint8Array.from(good, (b, i) => (i === 3 ? b + 4 : b)), 'bad_length'],
      ['flipped fingerprint', Uint8Array.from(good, (b, i) => (i === good.length - 1 ? b ^ 0xff : b)), 'bad_fingerprint'],
      ['attribute running past the end', request([{ type: 0x8023, value: new Uint8Array(4) }], false).map((b, i) => (i === 23 ? 40 : b)), 'bad_attribute'],
      ['attribute after FINGERPRINT', (() => {
        const withFp = request();
        const out = new Uint8Array(withFp.length + 8);
        out.set(withFp);
        out.set([0x80, 0x23, 0, 4, 0, 0, 0, 0], withFp.length);
        // A correct FINGERPRINT for the longer message, so only the attribute's position is wrong.
        const view = new DataView(out.buffer);
        view.setUint16(2, out.length - 20);
        view.setUint32(withFp.length - 4, (crc32(out.subarray(0, withFp.length - 8)) ^ 0x5354554e) >>> 0);
        return out;
      })(), 'bad_attribute'],
      ['a response', request([], true, StunType.bindingSuccess), 'not_request'],
      ['an indication', request([], true, StunType.bindingIndication), 'not_request'],
      ['another method (Allocate)', request([], true, 0x0003), 'not_binding'],
    ];
    for (const [what, datagram, outcome] of cases) {
      const answer = answerBinding(datagram, from);
      expect({ what, outcome: answer.outcome, reply: answer.reply }).toEqual({ what, outcome, reply: undefined });
    }
  });

  it('answers 420 listing unknown comprehension-required attributes, and ignores unknown optional ones', () => {
    const { outcome, reply } = answerBinding(request([{ type: 0x0777, value: new Uint8Array(3) }]), from);
    expect(outcome).toBe('unknown_attribute');
    const parsed = parseStun(reply!);
    if (!parsed.ok) throw new Error('unparsable 420');
    expect(parsed.message.type).toBe(StunType.bindingError);
    const unknown = parsed.message.attributes.find((a) => a.type === StunAttr.unknownAttributes)!;
    expect([...unknown.value]).toEqual([0x07, 0x77]);
    expect(answerBinding(request([{ type: 0x8777, value: new Uint8Array(3) }]), from).outcome).toBe('answered');
  });

  it('survives random garbage and mutations of a valid request (bounded fuzz)', () => {
    const good = request([{ type: 0x8022, value: new TextEncoder().encode('fuzz') }]);
    for (let i = 0; i < 20_000; i++) {
      const d = i % 2 ? new Uint8Array(randomBytes(i % 120)) : Uint8Array.from(good, (b) => (Math.random() < 0.05 ? b ^ (1 << (i % 8)) : b));
      const a = answerBinding(d, from);
      if (a.reply) expect(parseStun(a.reply).ok).toBe(true);
    }
  });
});

describe('STUN endpoint and SDK client over UDP', () => {
  let server: StunServer;
  const outcomes: StunOutcome[] = [];
  beforeAll(async () => {
    server = await startStunServer({ host: '127.0.0.1', port: 0, onOutcome: (o) => outcomes.push(o) });
  });
  afterAll(() => server.close());

  it('tells a client its own address and port, on the client socket', async () => {
    const mapped = await reflexiveAddress({ host: '127.0.0.1', port: server.port });
    expect(mapped).toEqual({ family: 4, address: '127.0.0.1', port: mapped.localPort, localPort: mapped.localPort });
    expect(mapped.port).toBeGreaterThan(0);
  });

  it('counts garbage and keeps answering', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    try {
      const before = outcomes.length;
      for (const junk of [Buffer.alloc(3), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(40, 0xff)]) socket.send(junk, server.port, '127.0.0.1');
      const mapped = await stunBinding(socket, { host: '127.0.0.1', port: server.port });
      expect(mapped.port).toBe(socket.address().port);
      expect(outcomes.slice(before).sort()).toEqual(['answered', 'not_stun', 'not_stun', 'short'].sort());
    } finally {
      socket.close();
    }
  });

  it('gives up after its bounded retransmissions when nobody answers', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      await expect(reflexiveAddress({ host: '127.0.0.1', port: silent.address().port }, { rtoMs: 20, attempts: 3 })).rejects.toMatchObject({ code: 'E_STUN_TIMEOUT' });
    } finally {
      silent.close();
    }
  });
});
