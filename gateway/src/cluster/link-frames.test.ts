import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, FrameType, encodeAck, encodeClose, encodeFrame } from './link-frames.js';

describe('gateway link framing', () => {
  it('round-trips frames split and joined at any byte boundary', () => {
    const frames = [
      encodeFrame(FrameType.HELLO, 0, JSON.stringify({ gatewayId: 'gw-a' })),
      encodeFrame(FrameType.BINARY, 3, new Uint8Array([1, 2, 3, 4])),
      encodeAck(3, 70000),
      encodeClose(5, 4410, 'E_PEER_GONE'),
      encodeFrame(FrameType.TEXT, 7, ''),
    ];
    const wire = Buffer.concat(frames);
    for (const step of [1, 2, 3, 7, 13, wire.length]) {
      const reader = new FrameReader(1024);
      const out = [];
      for (let i = 0; i < wire.length; i += step) out.push(...reader.push(wire.subarray(i, i + step)));
      expect(out.map((f) => [f.type, f.stream])).toEqual([[1, 0], [5, 3], [6, 3], [7, 5], [4, 7]]);
      expect([...out[1]!.payload]).toEqual([1, 2, 3, 4]);
      expect(out[2]!.payload.readUInt32BE(0)).toBe(70000);
      expect(out[3]!.payload.readUInt16BE(0)).toBe(4410);
      expect(out[3]!.payload.subarray(2).toString()).toBe('E_PEER_GONE');
    }
  });

  it('refuses an oversized or malformed length before buffering it', () => {
    const reader = new FrameReader(100);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(10_000_000, 0);
    expect(() => reader.push(huge)).toThrow(FrameError);
    const tiny = Buffer.alloc(8);
    tiny.writeUInt32BE(2, 0);
    expect(() => new FrameReader(100).push(tiny)).toThrow(/out of bounds/);
  });
});
