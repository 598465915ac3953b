/**
 * Frame sources for the codec benchmark and tests: any lossless video file or a folder of PNG
 * frames, decoded to BGRA by ffmpeg (the same path for every input, so nothing is special-cased).
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

export interface FrameInput {
  /** ffmpeg input arguments (before the output options). */
  args: string[];
  width: number;
  height: number;
  label: string;
}

export function describeInput(path: string): FrameInput {
  const isDir = statSync(path).isDirectory();
  const args = isDir ? ['-framerate', '15', '-pattern_type', 'glob', '-i', join(path, '*.png')] : ['-i', path];
  const probe = spawnSync('ffprobe', ['-v', 'error', ...args.slice(0, -2), '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', args.at(-1)!], {
    encoding: 'utf8',
  });
  if (probe.error) throw new Error(`ffprobe failed to start (is ffmpeg installed?): ${probe.error.message}`);
  const m = /^(\d+),(\d+)/m.exec(probe.stdout);
  if (probe.status !== 0 || !m) throw new Error(`ffprobe could not read ${path}: ${probe.stderr.trim()}`);
  const label = path.replace(/\/+$/, '').split('/').pop()!.replace(/\.[^.]+$/, '');
  return { args, width: Number(m[1]), height: Number(m[2]), label };
}

function ffmpegArgs(input: FrameInput, limit: number | undefined): string[] {
  const out = ['-v', 'error', ...input.args];
  if (limit !== undefined) out.push('-frames:v', String(limit));
  out.push('-f', 'rawvideo', '-pix_fmt', 'bgra', '-');
  return out;
}

/** Streams frames one at a time (a recording need not fit in memory). */
export async function* readFrames(input: FrameInput, limit?: number): AsyncGenerator<Buffer> {
  const size = input.width * input.height * 4;
  const child = spawn('ffmpeg', ffmpegArgs(input, limit), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let frame = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(size - fill, chunk.length - off);
      chunk.copy(frame, fill, off, off + n);
      fill += n;
      off += n;
      if (fill === size) {
        yield frame;
        frame = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg failed decoding ${input.label}: ${stderr.trim()}`);
}

/** Loads all frames at once (tests and short clips only). */
export function loadFrames(path: string, limit?: number): { width: number; height: number; frames: Buffer[] } {
  const input = describeInput(path);
  const size = input.width * input.height * 4;
  const r = spawnSync('ffmpeg', ffmpegArgs(input, limit), { maxBuffer: 2 ** 32 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg failed decoding ${path}: ${r.stderr.toString().trim()}`);
  const frames: Buffer[] = [];
  for (let off = 0; off + size <= r.stdout.length; off += size) frames.push(r.stdout.subarray(off, off + size));
  return { width: input.width, height: input.height, frames };
}
