import { beforeAll, describe, expect, it } from 'vitest';
import { readScreenHeader } from '../../../../protocol/screen-header.js';
import { ScreenReceiver } from './screen-receiver.js';
import { ScreenSender } from './screen-sender.js';
import { codec, croppedFrames, H, W } from './screen-test-frames.test-helper.js';

let frames: Buffer[];
beforeAll(() => {
  frames = croppedFrames(W, H);
});

/** An agent's sender over the native encoder, a connection whose room the test sets, and a viewer. */
function agent() {
  const enc = new codec.Encoder(W, H);
  const sent: Uint8Array[] = [];
  const encoded: Buffer[] = [];
  const link = { room: true };
  const sender = new ScreenSender<Buffer>({
    encode: (f, o) => (encoded.push(f), enc.encode(f, o)),
    send: (b) => sent.push(b),
    hasRoom: () => link.room,
  });
  const viewer = new ScreenReceiver({ createDecoder: (w, h) => new codec.Decoder(w, h) });
  const headers = () => sent.map((b) => readScreenHeader(b));
  return { sender, sent, encoded, link, viewer, headers };
}

describe('ScreenSender', { timeout: 60_000 }, () => {
  it('numbers frames and names each one’s base', () => {
    const a = agent();
    for (const f of frames.slice(0, 4)) expect(a.sender.offer(f)).toBe(true);
    expect(a.headers()).toEqual([
      { keyframe: true, repair: false, frame: 1, base: 0 },
      { keyframe: false, repair: false, frame: 2, base: 1 },
      { keyframe: false, repair: false, frame: 3, base: 2 },
      { keyframe: false, repair: false, frame: 4, base: 3 },
    ]);
    for (const b of a.sent) a.viewer.receive(b);
    expect(a.viewer.decoder!.frame().equals(frames[3]!)).toBe(true);
  });

  it('under backpressure the newest frame wins, and a frame that waited is never encoded', () => {
    const a = agent();
    a.sender.offer(frames[0]!);
    a.link.room = false;
    expect(a.sender.offer(frames[1]!)).toBe(false);
    expect(a.sender.offer(frames[2]!)).toBe(false);
    expect(a.sender.offer(frames[3]!)).toBe(false);
    expect(a.sent.length).toBe(1);
    expect(a.sender.stats.replaced).toBe(2);
    a.link.room = true;
    a.sender.flush();
    expect(a.encoded).toEqual([frames[0], frames[3]]);
    expect(a.headers()[1]).toEqual({ keyframe: false, repair: false, frame: 2, base: 1 });
    for (const b of a.sent) a.viewer.receive(b);
    expect(a.viewer.decoder!.frame().equals(frames[3]!)).toBe(true);
  });

  it('answers resync with a repair keyframe of the last frame sent, under the same number', () => {
    const a = agent();
    for (const f of frames.slice(0, 3)) a.sender.offer(f);
    a.sender.resync();
    expect(a.headers()[3]).toEqual({ keyframe: true, repair: true, frame: 3, base: 0 });
    // A viewer that has nothing gets the exact last frame from it, then follows the stream.
    const late = new ScreenReceiver({ createDecoder: (w, h) => new codec.Decoder(w, h) });
    expect(late.receive(a.sent[3]!)).toBe('repaired');
    expect(late.decoder!.frame().equals(frames[2]!)).toBe(true);
    a.sender.offer(frames[3]!);
    expect(a.headers()[4]).toEqual({ keyframe: false, repair: false, frame: 4, base: 3 });
    expect(late.receive(a.sent[4]!)).toBe('applied');
    expect(late.decoder!.frame().equals(frames[3]!)).toBe(true);
  });

  it('a resync without room is answered first when room comes, before the newest frame', () => {
    const a = agent();
    a.sender.offer(frames[0]!);
    a.sender.offer(frames[1]!);
    a.link.room = false;
    a.sender.resync();
    a.sender.offer(frames[2]!);
    expect(a.sent.length).toBe(2);
    a.link.room = true;
    a.sender.flush();
    expect(a.headers().slice(2)).toEqual([
      { keyframe: true, repair: true, frame: 2, base: 0 },
      { keyframe: false, repair: false, frame: 3, base: 2 },
    ]);
    const late = new ScreenReceiver({ createDecoder: (w, h) => new codec.Decoder(w, h) });
    for (const b of a.sent.slice(2)) late.receive(b);
    expect(late.decoder!.frame().equals(frames[2]!)).toBe(true);
  });

  it('resync before any frame and requestKeyframe make the next frame a keyframe; a broken encoder is refused', () => {
    const a = agent();
    a.sender.resync();
    expect(a.sent.length).toBe(0);
    a.sender.offer(frames[0]!);
    a.sender.offer(frames[1]!);
    a.sender.requestKeyframe();
    a.sender.offer(frames[2]!);
    expect(a.headers().map((h) => h!.keyframe)).toEqual([true, false, true]);
    expect(a.headers()[2]).toMatchObject({ repair: false, frame: 3, base: 0 });
    const broken = new ScreenSender<Buffer>({ encode: () => new Uint8Array(40), send: () => {}, hasRoom: () => true });
    expect(() => broken.offer(frames[0]!)).toThrow(/did not return a codec packet/);
    const deltaFirst = new codec.Encoder(W, H);
    deltaFirst.encode(frames[0]!);
    const late = new ScreenSender<Buffer>({ encode: (f) => deltaFirst.encode(f), send: () => {}, hasRoom: () => true });
    expect(() => late.offer(frames[1]!)).toThrow(/keyframe is needed \(the first frame\)/);
  });
});
