import { beforeAll, describe, expect, it } from 'vitest';
import { encodeScreenFrame } from '../../../../protocol/screen-header.js';
import { Decoder } from '../../../codec/index.js';
import { ScreenReceiver } from './screen-receiver.js';
import { codec, croppedFrames, H, W } from './screen-test-frames.test-helper.js';

let frames: Buffer[];
beforeAll(() => {
  frames = croppedFrames(W, H);
});

/** The browser decoder behind the receiver, as a console uses it. */
function receiver() {
  const lost: string[] = [];
  const r = new ScreenReceiver({ createDecoder: (w, h) => new Decoder(w, h), onLost: (why) => lost.push(why) });
  const picture = () => Buffer.from(r.decoder!.frame().buffer);
  return { r, lost, picture };
}

/** Screen frames 1..n of the crop, numbered like an agent does. */
function stream(n: number) {
  const enc = new codec.Encoder(W, H);
  return frames.slice(0, n).map((f, i) => encodeScreenFrame({ keyframe: i === 0, repair: false, frame: i + 1 }, enc.encode(f)));
}

describe('ScreenReceiver', { timeout: 60_000 }, () => {
  it('applies a chain of deltas, each on its base, to the exact picture', () => {
    const { r, picture } = receiver();
    expect(stream(8).map((b) => r.receive(b))).toEqual(['repaired', ...Array(7).fill('applied')]);
    expect(r.frame).toBe(8);
    expect(picture().equals(frames[7]!)).toBe(true);
  });

  it('after a gap ignores deltas until a repair, then follows the stream again', () => {
    const { r, lost, picture } = receiver();
    const s = stream(10);
    for (const b of s.slice(0, 3)) r.receive(b);
    // Frame 4 never arrives: 5, 6 build on what we lack.
    expect(r.receive(s[4]!)).toBe('waiting');
    expect(r.receive(s[5]!)).toBe('waiting');
    expect(lost).toEqual(['frame 5 builds on frame 4, the picture shows frame 3']);
    expect(picture().equals(frames[2]!), 'the picture stays the last true frame').toBe(true);
    // The agent's repair keyframe of frame 6 (same number as the frame it last sent).
    const repair = encodeScreenFrame({ keyframe: true, repair: true, frame: 6 }, new codec.Encoder(W, H).encode(frames[5]!));
    expect(r.receive(repair)).toBe('repaired');
    expect(r.receive(repair), 'the same repair again is not applied twice').toBe('stale');
    for (const b of s.slice(6)) expect(r.receive(b)).toBe('applied');
    expect(picture().equals(frames[9]!)).toBe(true);
    expect(r.counts).toMatchObject({ waiting: 2, repaired: 2, stale: 1 });
  });

  it('a merged delta built on the frame it shows repairs it (the gateway way)', () => {
    const { r, picture } = receiver();
    const enc = new codec.Encoder(W, H);
    const gateway = new codec.Decoder(W, H);
    const s = frames.slice(0, 9).map((f, i) => {
      const packet = enc.encode(f);
      gateway.decode(packet);
      return encodeScreenFrame({ keyframe: i === 0, repair: false, frame: i + 1 }, packet);
    });
    for (const b of s.slice(0, 3)) r.receive(b);
    expect(r.receive(s[5]!)).toBe('waiting');
    const merged = encodeScreenFrame({ keyframe: false, repair: false, frame: 9, base: 3 }, gateway.deltaSince(3));
    expect(r.receive(merged)).toBe('repaired');
    expect(picture().equals(frames[8]!)).toBe(true);
  });

  it('a packet that does not decode leaves it waiting for a keyframe; a new size gets a new decoder', () => {
    const { r, lost } = receiver();
    const s = stream(4);
    r.receive(s[0]!);
    const corrupt = Uint8Array.from(s[1]!);
    corrupt[corrupt.length - 1]! ^= 0x5a;
    expect(r.receive(corrupt)).toBe('failed');
    expect(lost[0]).toMatch(/^frame 2 does not decode: /);
    expect(r.receive(s[2]!)).toBe('waiting');
    const small = croppedFrames(96, 64)[3]!;
    expect(r.receive(encodeScreenFrame({ keyframe: true, repair: false, frame: 7 }, new codec.Encoder(96, 64).encode(small)))).toBe('repaired');
    expect([r.decoder!.width, r.decoder!.height]).toEqual([96, 64]);
    expect(Buffer.from(r.decoder!.frame().buffer).equals(small)).toBe(true);
    expect(r.receive(Uint8Array.of(0x01, 9))).toBe('malformed');
    // From SessionConnection's data event: a view past the channel byte, or a standalone payload (copied).
    const again = encodeScreenFrame({ keyframe: true, repair: false, frame: 9 }, new codec.Encoder(96, 64).encode(small));
    expect(r.receiveData(0x01, again.subarray(1))).toBe('applied');
    const delta = encodeScreenFrame({ keyframe: false, repair: false, frame: 10, base: 9 }, (() => {
      const e = new codec.Encoder(96, 64);
      e.encode(small);
      return e.encode(croppedFrames(96, 64)[5]!);
    })());
    expect(r.receiveData(0x01, Uint8Array.from(delta.subarray(1)))).toBe('applied');
    expect(Buffer.from(r.decoder!.frame().buffer).equals(croppedFrames(96, 64)[5]!)).toBe(true);
    expect(r.receiveData(0x04, again.subarray(1))).toBeNull();
    expect(r.receive(Uint8Array.of(0x02, ...s[3]!.subarray(1)))).toBe('malformed');
  });
});
