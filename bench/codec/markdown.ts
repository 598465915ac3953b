/**
 * Renders a codec benchmark JSON (`--json FILE`) as the markdown tables in docs/codec.md, so the
 * published figures are the script's output, not retyped. Usage: tsx bench/codec/markdown.ts FILE
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Row {
  name?: string;
  bytes: number;
  encodeMsPerFrame: number;
  decodeMsPerFrame: number;
  lossless: boolean;
  frames: number;
}

interface Bench {
  command: string;
  machine: Record<string, string | number>;
  inputs: { label: string; width: number; height: number; rawBytes: number; ours: Row & { tsDecodeMsPerFrame: number; unchangedFrameMs: number; memcmpMs: number; keyframeBytes: number }; peers: Row[] }[];
  total: { ours: Row & { tsDecodeMsPerFrame: number }; peers: Row[] };
  goals: { goal: string; met: boolean | null; detail: string }[];
  fuzz?: { cases: number; ms: number; maxCaseMs: number; outcomes: Record<string, number>; mismatches: unknown[]; width: number; height: number };
}

const f = (n: number, d = 2) => n.toFixed(d);

function table(raw: number, ours: Bench['total']['ours'], peers: Row[], budgetMs: number): string {
  const lines = ['| codec | bytes | ratio | encode CPU ms/frame | decode CPU ms/frame | lossless | real-time | ours ÷ peer (bytes) | ours ÷ peer (CPU) |', '|---|---:|---:|---:|---:|---|---|---:|---:|'];
  lines.push(`| **relaydesk** | ${ours.bytes} | ${f(raw / ours.bytes, 1)} | ${f(ours.encodeMsPerFrame)} | ${f(ours.decodeMsPerFrame)} (TS ${f(ours.tsDecodeMsPerFrame)}) | ${ours.lossless ? 'yes' : 'NO'} | ${ours.encodeMsPerFrame <= budgetMs ? 'yes' : 'no'} | | |`);
  for (const p of peers) {
    lines.push(
      `| ${p.name} | ${p.bytes} | ${f(raw / p.bytes, 1)} | ${f(p.encodeMsPerFrame)} | ${f(p.decodeMsPerFrame)} | ${p.lossless ? 'yes' : 'NO (lossy)'} | ${p.encodeMsPerFrame <= budgetMs ? 'yes' : 'no'} | ${f(ours.bytes / p.bytes, 3)} | ${f(ours.encodeMsPerFrame / p.encodeMsPerFrame, 3)} |`,
    );
  }
  return lines.join('\n');
}

export function toMarkdown(b: Bench): string {
  const out: string[] = [];
  out.push(`Command: \`${b.command}\``, '', `Machine: ${b.machine.cpu}, ${b.machine.cores} cores, Node ${b.machine.node}, ${String(b.machine.ffmpeg).split(' Copyright')[0]}.`, '');
  for (const i of b.inputs) {
    const budget = (33 * i.width * i.height) / (1920 * 1080);
    out.push(`### ${i.label} (${i.width}×${i.height}, ${i.ours.frames} frames)`, '');
    out.push(`Keyframe ${i.ours.keyframeBytes} B; unchanged frame ${f(i.ours.unchangedFrameMs, 3)} ms vs memcmp ${f(i.ours.memcmpMs, 3)} ms.`, '');
    out.push(table(i.rawBytes, i.ours, i.peers, budget), '');
  }
  const raw = b.inputs.reduce((n, i) => n + i.rawBytes, 0);
  out.push(`### All inputs (${b.total.ours.frames} frames)`, '', table(raw, b.total.ours, b.total.peers, 33), '');
  out.push('### Goals', '');
  for (const g of b.goals) out.push(`- ${g.met === null ? 'n/a' : g.met ? 'met' : '**missed**'}: ${g.goal} (${g.detail})`);
  if (b.fuzz) {
    out.push('', `### Fuzzing`, '', `${b.fuzz.cases} mutated real packets (${b.fuzz.width}×${b.fuzz.height} crop) through both decoders in ${f(b.fuzz.ms / 1000, 1)} s; slowest case ${f(b.fuzz.maxCaseMs, 3)} ms; disagreements or untyped failures: ${b.fuzz.mismatches.length}. Outcomes: ${Object.entries(b.fuzz.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/codec/markdown.ts BENCH.json');
  console.log(toMarkdown(JSON.parse(readFileSync(file, 'utf8')) as Bench));
}
