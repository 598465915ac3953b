/**
 * Runs relaydesk's codec over an input: native encode, native decode and TypeScript decode of
 * every frame, each checked against the input. CPU time is process CPU (user+system, so the
 * encoder's worker threads count) measured around each call only.
 */
import { createHash } from 'node:crypto';
import { Decoder as TsDecoder } from '../../clients/codec/decoder.js';
import { readFrames, type FrameInput } from './frames.js';
import type { NativeCodec } from './native.js';

export interface OursResult {
  frames: number;
  bytes: number;
  keyframeBytes: number;
  encodeMsPerFrame: number;
  decodeMsPerFrame: number;
  tsDecodeMsPerFrame: number;
  maxEncodeMs: number;
  lossless: boolean;
  tsLossless: boolean;
  unchangedFrameMs: number;
  memcmpMs: number;
  note?: string;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface OursRun {
  result: OursResult;
  md5s: string[];
  /** The first frames, kept for the fuzzer. */
  sample: Buffer[];
}

export async function runOurs(codec: NativeCodec, input: FrameInput, limit: number | undefined, sampleFrames: number): Promise<OursRun> {
  const { width, height } = input;
  const enc = new codec.Encoder(width, height);
  const dec = new codec.Decoder(width, height);
  const ts = new TsDecoder(width, height);
  const md5s: string[] = [];
  const sample: Buffer[] = [];
  let bytes = 0;
  let keyframeBytes = 0;
  let encMs = 0;
  let decMs = 0;
  let tsMs = 0;
  let maxEnc = 0;
  let lossless = true;
  let tsLossless = true;
  let note: string | undefined;
  let last: Buffer | undefined;
  for await (const frame of readFrames(input, limit)) {
    const i = md5s.length;
    md5s.push(createHash('md5').update(frame).digest('hex'));
    if (sample.length < sampleFrames) sample.push(frame);
    let t = process.cpuUsage();
    const packet = enc.encode(frame);
    const e = cpuMs(t);
    encMs += e;
    maxEnc = Math.max(maxEnc, e);
    bytes += packet.length;
    if (i === 0) keyframeBytes = packet.length;
    t = process.cpuUsage();
    dec.decode(packet);
    decMs += cpuMs(t);
    t = process.cpuUsage();
    ts.decode(packet);
    tsMs += cpuMs(t);
    if (lossless && !dec.frame().equals(frame)) {
      lossless = false;
      note = `native decode differs at frame ${i}`;
    }
    if (tsLossless && !Buffer.from(ts.frame().buffer).equals(frame)) {
      tsLossless = false;
      note = `${note ?? ''} TypeScript decode differs at frame ${i}`.trim();
    }
    last = frame;
  }
  const frames = md5s.length;
  if (!last) throw new Error(`${input.label}: no frames decoded`);
  // Unchanged frame: the encoder already holds `last`; give it an equal frame in other memory, as
  // a capture loop would. memcmp is Buffer.compare over the same two buffers.
  const again = Buffer.from(last);
  const unchanged: number[] = [];
  const memcmp: number[] = [];
  for (let r = 0; r < 31; r++) {
    let t = process.hrtime.bigint();
    enc.encode(again);
    unchanged.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    if (Buffer.compare(last, again) !== 0) throw new Error('copy differs');
    memcmp.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return {
    result: {
      frames,
      bytes,
      keyframeBytes,
      encodeMsPerFrame: encMs / frames,
      decodeMsPerFrame: decMs / frames,
      tsDecodeMsPerFrame: tsMs / frames,
      maxEncodeMs: maxEnc,
      lossless,
      tsLossless,
      unchangedFrameMs: median(unchanged),
      memcmpMs: median(memcmp),
      ...(note ? { note } : {}),
    },
    md5s,
    sample,
  };
}
