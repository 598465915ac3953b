/**
 * Codec benchmark: `npm run bench -- codec --frames PATH [--frames PATH...] [--json FILE]
 *   [--limit N] [--peers a,b|none] [--fuzz N]`
 *
 * PATH is a lossless video file, a folder of PNG frames, or a folder of recordings (each video in
 * it is one input). Every figure printed is measured in this run; goals are evaluated from them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInput, type FrameInput } from './frames.js';
import { cropFrames, fuzzDecoders, type FuzzReport } from './fuzz.js';
import { loadNative } from './native.js';
import { runOurs, type OursResult } from './ours.js';
import { PEERS, runPeer, type PeerResult } from './peers.js';

interface Args {
  frames: string[];
  json?: string;
  limit?: number;
  peers: string[];
  fuzz: number;
}

const USAGE = 'usage: bench codec --frames PATH [--frames PATH...] [--json FILE] [--limit N] [--peers name,name|none] [--fuzz N]';

function parseArgs(argv: string[]): Args {
  const a: Args = { frames: [], peers: PEERS.map((p) => p.name), fuzz: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const need = () => {
      if (v === undefined) throw new Error(`${k} needs a value\n${USAGE}`);
      i++;
      return v;
    };
    const count = (s: string) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${k} must be a non-negative integer`);
      return n;
    };
    if (k === '--frames') a.frames.push(need());
    else if (k === '--json') a.json = need();
    else if (k === '--limit') a.limit = count(need()) || undefined;
    else if (k === '--fuzz') a.fuzz = count(need());
    else if (k === '--peers') {
      const list = need();
      a.peers = list === 'none' ? [] : list.split(',');
      for (const p of a.peers) if (!PEERS.some((x) => x.name === p)) throw new Error(`unknown peer ${p}; known: ${PEERS.map((x) => x.name).join(', ')}`);
    } else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  if (a.frames.length === 0) throw new Error(USAGE);
  return a;
}

const VIDEO = /\.(mkv|mp4|mov|avi|nut|webm|flv)$/i;

function expandInputs(paths: string[]): FrameInput[] {
  const out: FrameInput[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory() && !readdirSync(p).some((f) => f.toLowerCase().endsWith('.png'))) {
      const vids = readdirSync(p).filter((f) => VIDEO.test(f)).sort();
      if (vids.length === 0) throw new Error(`${p} holds neither PNG frames nor recordings`);
      for (const f of vids) out.push(describeInput(join(p, f)));
    } else out.push(describeInput(p));
  }
  return out;
}

interface InputReport {
  label: string;
  width: number;
  height: number;
  rawBytes: number;
  ours: OursResult;
  peers: PeerResult[];
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Real-time means at most 33 ms of encode CPU per frame, scaled from 1080p by pixel count. */
function realtimeBudgetMs(width: number, height: number): number {
  return (33 * (width * height)) / (1920 * 1080);
}

function printTable(title: string, raw: number, ours: OursResult, peers: PeerResult[], budget: number): void {
  console.log(`\n${title}`);
  const head = `${pad('codec', 20)}${lpad('bytes', 12)}${lpad('ratio', 9)}${lpad('enc ms/f', 10)}${lpad('dec ms/f', 10)}  ${pad('lossless', 9)}${pad('real-time', 10)}${lpad('ours/peer bytes', 16)}${lpad('ours/peer cpu', 14)}`;
  console.log(head);
  const row = (name: string, bytes: number, enc: number, dec: number, ok: boolean, vsB: string, vsC: string, extra = '') =>
    console.log(
      `${pad(name, 20)}${lpad(String(bytes), 12)}${lpad(fmt(raw / bytes, 1), 9)}${lpad(fmt(enc), 10)}${lpad(fmt(dec), 10)}  ${pad(ok ? 'yes' : 'NO (lossy)', 9)}${pad(enc <= budget ? 'yes' : 'no', 10)}${lpad(vsB, 16)}${lpad(vsC, 14)}${extra}`,
    );
  row('relaydesk', ours.bytes, ours.encodeMsPerFrame, ours.decodeMsPerFrame, ours.lossless && ours.tsLossless, '', '', `  (TS decoder ${fmt(ours.tsDecodeMsPerFrame)} ms/f)`);
  for (const p of peers) {
    row(p.name, p.bytes, p.encodeMsPerFrame, p.decodeMsPerFrame, p.lossless, fmt(ours.bytes / p.bytes, 3), fmt(ours.encodeMsPerFrame / p.encodeMsPerFrame, 3), p.note ? `  ${p.note}` : '');
  }
}

function sumOurs(list: OursResult[]): OursResult {
  const frames = list.reduce((n, r) => n + r.frames, 0);
  const wavg = (f: (r: OursResult) => number) => list.reduce((n, r) => n + f(r) * r.frames, 0) / frames;
  return {
    frames,
    bytes: list.reduce((n, r) => n + r.bytes, 0),
    keyframeBytes: list.reduce((n, r) => n + r.keyframeBytes, 0),
    encodeMsPerFrame: wavg((r) => r.encodeMsPerFrame),
    decodeMsPerFrame: wavg((r) => r.decodeMsPerFrame),
    tsDecodeMsPerFrame: wavg((r) => r.tsDecodeMsPerFrame),
    maxEncodeMs: Math.max(...list.map((r) => r.maxEncodeMs)),
    lossless: list.every((r) => r.lossless),
    tsLossless: list.every((r) => r.tsLossless),
    unchangedFrameMs: Math.max(...list.map((r) => r.unchangedFrameMs)),
    memcmpMs: Math.max(...list.map((r) => r.memcmpMs)),
  };
}

function sumPeers(inputs: InputReport[]): PeerResult[] {
  const names = inputs[0]?.peers.map((p) => p.name) ?? [];
  return names.map((name) => {
    const rs = inputs.map((i) => i.peers.find((p) => p.name === name)!);
    const frames = rs.reduce((n, r) => n + r.frames, 0);
    return {
      name,
      frames,
      bytes: rs.reduce((n, r) => n + r.bytes, 0),
      encodeMsPerFrame: rs.reduce((n, r) => n + r.encodeMsPerFrame * r.frames, 0) / frames,
      decodeMsPerFrame: rs.reduce((n, r) => n + r.decodeMsPerFrame * r.frames, 0) / frames,
      lossless: rs.every((r) => r.lossless),
    };
  });
}

interface Goal {
  goal: string;
  met: boolean | null;
  detail: string;
}

function goals(inputs: InputReport[], total: OursResult, totalPeers: PeerResult[]): Goal[] {
  const out: Goal[] = [];
  const beaten: string[] = [];
  let allBeaten = true;
  let anyRt = false;
  for (const i of inputs) {
    const budget = realtimeBudgetMs(i.width, i.height);
    for (const p of i.peers.filter((p) => p.lossless && p.encodeMsPerFrame <= budget)) {
      anyRt = true;
      if (i.ours.bytes >= p.bytes) {
        allBeaten = false;
        beaten.push(`${i.label}: ${p.name} ${p.bytes} <= ours ${i.ours.bytes}`);
      }
    }
  }
  out.push({ goal: 'fewer bytes than every lossless real-time peer on every input', met: anyRt ? allBeaten : null, detail: beaten.join('; ') || (anyRt ? 'all beaten' : 'no real-time peer measured') });
  const vs = totalPeers.find((p) => p.name === 'x264rgb-veryslow');
  out.push({ goal: 'total bytes within 1.5x of x264rgb veryslow', met: vs ? total.bytes <= 1.5 * vs.bytes : null, detail: vs ? `ours/veryslow = ${fmt(total.bytes / vs.bytes, 3)}` : 'veryslow not run' });
  const uf = totalPeers.find((p) => p.name === 'x264rgb-ultrafast');
  out.push({
    goal: 'encode CPU at most 0.4x of x264rgb ultrafast',
    met: uf ? total.encodeMsPerFrame <= 0.4 * uf.encodeMsPerFrame : null,
    detail: uf ? `ours/ultrafast = ${fmt(total.encodeMsPerFrame / uf.encodeMsPerFrame, 3)} (${fmt(total.encodeMsPerFrame)} vs ${fmt(uf.encodeMsPerFrame)} ms/frame)` : 'ultrafast not run',
  });
  const worst = inputs.reduce((w, i) => Math.max(w, i.ours.unchangedFrameMs / i.ours.memcmpMs), 0);
  out.push({ goal: 'unchanged frame within 2x of memcmp', met: worst <= 2, detail: inputs.map((i) => `${i.label}: ${fmt(i.ours.unchangedFrameMs, 3)} ms vs memcmp ${fmt(i.ours.memcmpMs, 3)} ms`).join('; ') });
  out.push({ goal: 'decode under 1 ms per frame on average', met: total.decodeMsPerFrame < 1, detail: `${fmt(total.decodeMsPerFrame, 3)} ms/frame native, ${fmt(total.tsDecodeMsPerFrame, 3)} ms/frame TypeScript` });
  out.push({ goal: 'lossless (native and TypeScript decoders)', met: total.lossless && total.tsLossless, detail: 'every frame compared with the input' });
  return out;
}

function machine(): Record<string, string | number> {
  const ff = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'ffmpeg missing';
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, ffmpeg: ff };
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log(`${USAGE}\n  PATH: a lossless video, a folder of PNG frames, or a folder of recordings (one input each)\n  --limit N: first N frames of each input\n  --peers: subset of ${PEERS.map((p) => p.name).join(', ')}\n  --fuzz N: mutated packets for the decoder fuzzer (default 1000000; 0 skips)`);
    return;
  }
  const args = parseArgs(argv);
  const codec = loadNative();
  const inputs = expandInputs(args.frames);
  const peers = PEERS.filter((p) => args.peers.includes(p.name));
  const tmp = mkdtempSync(join(tmpdir(), 'relaydesk-codec-bench-'));
  const reports: InputReport[] = [];
  let fuzzFrames: { width: number; height: number; frames: Buffer[] } | undefined;
  const info = machine();
  console.log(`machine: ${info.cpu}, ${info.cores} cores, node ${info.node}, ${info.ffmpeg}`);
  try {
    for (const input of inputs) {
      const ours = await runOurs(codec, input, args.limit, fuzzFrames ? 0 : 30);
      if (!fuzzFrames) fuzzFrames = { width: input.width, height: input.height, frames: ours.sample };
      const pr: PeerResult[] = [];
      for (const p of peers) {
        process.stderr.write(`  ${input.label}: ${p.name}...\n`);
        pr.push(await runPeer(input, args.limit, p, ours.md5s, tmp));
      }
      const rawBytes = ours.result.frames * input.width * input.height * 4;
      reports.push({ label: input.label, width: input.width, height: input.height, rawBytes, ours: ours.result, peers: pr });
      // Saved after every input, so a long run that fails later keeps what it measured.
      if (args.json) writeFileSync(args.json, JSON.stringify({ command: `npm run bench -- codec ${argv.join(' ')}`, machine: info, partial: true, inputs: reports }, null, 2));
      printTable(
        `${input.label} (${input.width}x${input.height}, ${ours.result.frames} frames, raw ${fmt(rawBytes / 1e6, 1)} MB; unchanged frame ${fmt(ours.result.unchangedFrameMs, 3)} ms vs memcmp ${fmt(ours.result.memcmpMs, 3)} ms; keyframe ${ours.result.keyframeBytes} B)`,
        rawBytes,
        ours.result,
        pr,
        realtimeBudgetMs(input.width, input.height),
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const total = sumOurs(reports.map((r) => r.ours));
  const totalPeers = sumPeers(reports);
  const totalRaw = reports.reduce((n, r) => n + r.rawBytes, 0);
  if (reports.length > 1) printTable(`all inputs (${total.frames} frames)`, totalRaw, total, totalPeers, realtimeBudgetMs(1920, 1080));
  const g = goals(reports, total, totalPeers);
  console.log('\ngoals:');
  for (const x of g) console.log(`  [${x.met === null ? 'n/a ' : x.met ? 'met ' : 'MISS'}] ${x.goal}: ${x.detail}`);

  let fuzz: (FuzzReport & { width: number; height: number }) | undefined;
  if (args.fuzz > 0 && fuzzFrames) {
    const w = Math.min(320, fuzzFrames.width);
    const h = Math.min(200, fuzzFrames.height);
    const x = Math.floor((fuzzFrames.width - w) / 2);
    const y = Math.floor((fuzzFrames.height - h) / 2);
    const frames = cropFrames(fuzzFrames.frames, fuzzFrames.width, x, y, w, h);
    const enc = new codec.Encoder(w, h);
    const packets = frames.map((f) => enc.encode(f));
    const r = fuzzDecoders({ native: codec, width: w, height: h, packets, cases: args.fuzz });
    fuzz = { ...r, width: w, height: h };
    console.log(
      `\nfuzz: ${r.cases} mutated packets (${w}x${h} crop of ${reports[0]!.label}, ${packets.length} real packets) in ${fmt(r.ms / 1000, 1)} s; ` +
        `slowest case ${fmt(r.maxCaseMs, 3)} ms; outcomes ${JSON.stringify(r.outcomes)}; disagreements/untyped: ${r.mismatches.length}`,
    );
    for (const m of r.mismatches) console.log(`  case ${m.case}: ${m.detail}`);
  }
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ command: `npm run bench -- codec ${argv.join(' ')}`, machine: info, inputs: reports, total: { ours: total, peers: totalPeers }, goals: g, fuzz }, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
  if (!total.lossless || !total.tsLossless || (fuzz && fuzz.mismatches.length > 0)) process.exitCode = 1;
}
