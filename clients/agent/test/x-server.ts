/**
 * Real X for the agent's tests and benchmarks: Xvfb on a display number it picks itself (-displayfd, so
 * parallel runs never collide), real X clients on it, and an independent capture (ffmpeg x11grab, which shares
 * no code with ours) to compare against.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface XServer {
  display: string;
  /** Starts an X client on this display (its stdout piped when `output`); killed by stop(). */
  client(cmd: string, args: string[], env?: Record<string, string>, output?: boolean): ChildProcess;
  /** BGRA pixels of a root-window rectangle, captured by ffmpeg x11grab without the pointer. */
  capture(x: number, y: number, width: number, height: number): Promise<Buffer>;
  xdotool(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startXServer(width = 640, height = 480): Promise<XServer> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Xvfb did not start within 10 s')), 10_000);
    proc.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    proc.stdio[3]!.once('data', (b: Buffer) => {
      clearTimeout(timer);
      resolve(':' + b.toString().trim());
    });
  });
  const children: ChildProcess[] = [];
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, DISPLAY: display, ...extra });
  return {
    display,
    client(cmd, args, extra, output) {
      const c = spawn(cmd, args, { env: env(extra), stdio: ['ignore', output ? 'pipe' : 'ignore', 'ignore'] });
      children.push(c);
      return c;
    },
    async capture(x, y, w, h) {
      const { stdout } = await run('ffmpeg', ['-loglevel', 'error', '-f', 'x11grab', '-draw_mouse', '0', '-video_size', `${w}x${h}`, '-i', `${display}+${x},${y}`, '-frames:v', '1', '-pix_fmt', 'bgra', '-f', 'rawvideo', '-'], {
        encoding: 'buffer',
        maxBuffer: w * h * 4 + 1024,
        env: env(),
      });
      return stdout as Buffer;
    },
    async xdotool(...args) {
      return (await run('xdotool', args, { env: env() })).stdout.trim();
    },
    async stop() {
      for (const c of children) c.kill('SIGKILL');
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    },
  };
}
