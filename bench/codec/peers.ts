/**
 * ffmpeg's lossless screen-capable encoders, run one thread each on the same frames as ours.
 * CPU is ffmpeg's own `-benchmark` user+system time of the encoding process (it includes
 * ffmpeg's conversion from BGRA to the encoder's pixel format, which each peer needs anyway);
 * the source is decoded by a separate ffmpeg process feeding it through a pipe, so it is not
 * counted. Output is decoded again and compared frame by frame (MD5 of BGRA) with the input.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameInput } from './frames.js';

export interface PeerSpec {
  name: string;
  ext: string;
  args: string[];
}

export const PEERS: PeerSpec[] = [
  { name: 'zmbv', ext: 'avi', args: ['-c:v', 'zmbv'] },
  { name: 'flashsv', ext: 'flv', args: ['-c:v', 'flashsv'] },
  // flashsv2 is lossy unless -q:v 1.
  { name: 'flashsv2', ext: 'flv', args: ['-c:v', 'flashsv2', '-q:v', '1'] },
  { name: 'qtrle', ext: 'mov', args: ['-c:v', 'qtrle'] },
  { name: 'png', ext: 'mov', args: ['-c:v', 'png'] },
  { name: 'x264rgb-ultrafast', ext: 'mkv', args: ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'ultrafast'] },
  { name: 'x264rgb-veryfast', ext: 'mkv', args: ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'veryfast'] },
  { name: 'x264rgb-veryslow', ext: 'mkv', args: ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'veryslow'] },
  // gbrp keeps VP9 lossless on RGB input (4:2:0 YUV would not be).
  { name: 'vp9-lossless-rt', ext: 'mkv', args: ['-c:v', 'libvpx-vp9', '-lossless', '1', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '0', '-pix_fmt', 'gbrp'] },
];

export interface PeerResult {
  name: string;
  bytes: number;
  encodeMsPerFrame: number;
  decodeMsPerFrame: number;
  frames: number;
  lossless: boolean;
  note?: string;
}

function benchCpuMs(stderr: string): number {
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no -benchmark line in ffmpeg output: ${stderr.slice(-500)}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

function sourceArgs(input: FrameInput, limit: number | undefined): string[] {
  return ['-v', 'error', ...input.args, ...(limit ? ['-frames:v', String(limit)] : []), '-f', 'rawvideo', '-pix_fmt', 'bgra', '-'];
}

async function encode(input: FrameInput, limit: number | undefined, peer: PeerSpec, out: string): Promise<number> {
  const src = spawn('ffmpeg', sourceArgs(input, limit), { stdio: ['ignore', 'pipe', 'inherit'] });
  const args = ['-hide_banner', '-nostats', '-benchmark', '-f', 'rawvideo', '-pix_fmt', 'bgra', '-s', `${input.width}x${input.height}`, '-r', '15', '-i', '-', ...peer.args, '-threads', '1', '-y', out];
  const enc = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  src.stdout.pipe(enc.stdin);
  enc.stdin.on('error', () => undefined);
  let stderr = '';
  enc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => enc.on('close', (c) => resolve(c ?? -1)));
  if (code !== 0) throw new Error(`${peer.name} encode failed: ${stderr.slice(-800)}`);
  return benchCpuMs(stderr);
}

function packetBytes(file: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return r.stdout.split('\n').reduce((n, l) => n + (Number(l.split(',')[0]) || 0), 0);
}

function decodeCpuMs(file: string): number {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-benchmark', '-threads', '1', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`decode of ${file} failed: ${r.stderr.slice(-500)}`);
  return benchCpuMs(r.stderr);
}

function decodedMd5s(file: string): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-threads', '1', '-i', file, '-f', 'framemd5', '-pix_fmt', 'bgra', '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`framemd5 of ${file} failed: ${r.stderr.slice(-500)}`);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

export async function runPeer(input: FrameInput, limit: number | undefined, peer: PeerSpec, md5s: string[], tmp: string): Promise<PeerResult> {
  const out = join(tmp, `${input.label}.${peer.name}.${peer.ext}`);
  try {
    const encMs = await encode(input, limit, peer, out);
    const bytes = packetBytes(out);
    const decMs = decodeCpuMs(out);
    const got = decodedMd5s(out);
    const bad = md5s.findIndex((m, i) => got[i] !== m);
    const lossless = got.length === md5s.length && bad < 0;
    const frames = md5s.length;
    const note = lossless ? undefined : got.length !== md5s.length ? `decoded ${got.length} of ${md5s.length} frames` : `frame ${bad} differs from the input`;
    return { name: peer.name, bytes, encodeMsPerFrame: encMs / frames, decodeMsPerFrame: decMs / frames, frames, lossless, ...(note ? { note } : {}) };
  } finally {
    rmSync(out, { force: true });
  }
}
