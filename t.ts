import { describeInput, readFrames } from './bench/codec/frames.js';
import { loadNative } from './bench/codec/native.js';
import { Decoder } from './clients/codec/index.js';
import { writeFileSync } from 'node:fs';
const native = loadNative();
const input = describeInput(`/work/shared/corpus/web-cargo.mkv`);
const enc = new native.Encoder(input.width, input.height);
const packets: Buffer[] = [];
for await (const f of readFrames(input, 150)) packets.push(enc.encode(f));
writeFileSync('/tmp/webcargo-packets.bin', Buffer.concat(packets.flatMap((p) => { const l = Buffer.alloc(4); l.writeUInt32LE(p.length); return [l, p]; })));
const nd = new native.Decoder(input.width, input.height);
for (let rep = 0; rep < 3; rep++) {
  const dec = new Decoder(input.width, input.height);
  const ms: number[] = [];
  for (const p of packets) { const s = performance.now(); dec.decode(p); ms.push(performance.now() - s); }
  const sorted = ms.slice(1).sort((a, b) => a - b);
  console.log('ts rep', rep, 'p50', sorted[74].toFixed(2), 'p99', sorted[147].toFixed(2), 'sum', ms.reduce((a, b) => a + b).toFixed(0));
}
const nms: number[] = [];
for (const p of packets) { const s = performance.now(); nd.decode(p); nms.push(performance.now() - s); }
const ns = nms.slice(1).sort((a, b) => a - b);
console.log('native p50', ns[74].toFixed(2), 'p99', ns[147].toFixed(2), 'sum', nms.reduce((a, b) => a + b).toFixed(0));
