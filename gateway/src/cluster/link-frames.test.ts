import { describe, expect, it } from 'vitest';
import { LinkBatch } from './link-batch.js';
import { FrameError, FrameReader, FrameType, encodeClose, encodeFrame } from './link-frames.js';

describe('gateway link framing', () => {
  it('round-trips frames split and joined at any byte boundary', () => {
    const frames = [
      encodeFrame(FrameType.HELLO, 0, JSON.stringify({ gatewayId: 'gw-a' })),
      encodeFrame(FrameType.BINARY, 3, new Uint8Array([1, 2, 3, 4])),
      encodeFrame(FrameType.ACK, 3, Buffer.from([0x00, 0x01, 0x11, 0x70])), // 70000, as the link writes ACKs
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

describe('gateway link batching', () => {
  it('writes a loop turn’s frames in one piece, in order with rare frames, from bytes the caller may reuse', async () => {
    const pieces: Buffer[] = [];
    const batch = new LinkBatch((chunk) => pieces.push(Buffer.from(chunk)));
    const reused = new Uint8Array([9, 9, 9]);
    expect(batch.frame(FrameType.BINARY, 3, reused)).toBe(3);
    reused.fill(0); // the caller's buffer is free again once frame() returns
    batch.raw(encodeClose(5, 4410, 'E_PEER_GONE'));
    expect(batch.frame(FrameType.TEXT, 7, 'héllo')).toBe(6);
    batch.frame(FrameType.ACK, 3, Buffer.from([0, 0, 1, 0]));
    expect(pieces).toHaveLength(0);
    expect(batch.pendingBytes).toBeGreaterThan(0);
    await new Promise((r) => setImmediate(r));
    expect(pieces).toHaveLength(1);
    expect(batch.pendingBytes).toBe(0);
    const out = new FrameReader(1 << 20).push(pieces[0]!);
    expect(out.map((f) => [f.type, f.stream])).toEqual([[5, 3], [7, 5], [4, 7], [6, 3]]);
    expect([...out[0]!.payload]).toEqual([9, 9, 9]);
    expect(out[2]!.payload.toString('utf8')).toBe('héllo');
    expect(out[3]!.payload.readUInt32BE(0)).toBe(256);
  });

  it('a large frame goes out on its own after what was waiting; a full batch does not wait for the turn to end', () => {
    const pieces: Buffer[] = [];
    const batch = new LinkBatch((chunk) => pieces.push(Buffer.from(chunk)));
    batch.frame(FrameType.BINARY, 1, new Uint8Array(10));
    batch.frame(FrameType.BINARY, 1, new Uint8Array(200 << 10).fill(7));
    expect(pieces.map((p) => p.byteLength)).toEqual([19, 9 + (200 << 10)]);
    for (let i = 0; i < 40; i++) batch.frame(FrameType.BINARY, 1, new Uint8Array(16 << 10));
    expect(pieces.length).toBeGreaterThan(2); // flushed at 256 KiB, before any setImmediate
    batch.flush();
    const reader = new FrameReader(1 << 20);
    const frames = pieces.flatMap((p) => reader.push(p));
    expect(frames).toHaveLength(42);
    expect(frames[1]!.payload.every((b) => b === 7)).toBe(true);
    expect(frames.slice(2).every((f) => f.payload.byteLength === 16 << 10)).toBe(true);
  });

  it('reuses a slab once the socket has written all of it, never while a piece of it is in flight', () => {
    const slabsUsed = (callsBack: boolean) => {
      const buffers = new Set<ArrayBufferLike>();
      const held: Buffer[] = [];
      const batch = new LinkBatch((chunk, done) => {
        buffers.add(chunk.buffer);
        held.push(Buffer.from(chunk.subarray(0, 9))); // what the socket was given must stay as given
        if (callsBack) done();
      });
      for (let i = 0; i < 20 * 80; i++) batch.frame(FrameType.BINARY, i, new Uint8Array(16 << 10));
      batch.flush();
      return buffers.size;
    };
    expect(slabsUsed(true)).toBeLessThanOrEqual(3); // 25 MiB through two or three slabs
    expect(slabsUsed(false)).toBeGreaterThanOrEqual(50); // nothing written yet: never reused
  });
});
