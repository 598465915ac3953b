/**
 * `npm run bench -- recording`: what recording a session costs the gateway. One customer replays a recording
 * (decoded to BGRA by ffmpeg, encoded live by the native Encoder behind the SDK's ScreenSender, looped) to one
 * technician through a real gateway process, three times: not recorded (policy `off`), recorded to the data
 * folder (policy `always`), and recorded to a slow disk (the session's recording file is a FIFO drained by a
 * reader at --disk-kbps). Figures: gateway CPU per frame sent, its resident memory, the recording's size, how
 * many frames it holds, the screen repairs the recorder needed, and whether its last picture decodes
 * pixel-exact to a frame the customer sent (never a corrupt one).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ScreenSender } from '../../clients/sdk/src/screen/screen-sender.js';
import { FileOrgStore } from '../../gateway/src/org/file-org-store.js';
import { pictureAt, readRecording } from '../../gateway/src/recording/recording-reader.js';
import { loadFrames } from '../codec/frames.js';
import { loadNative } from '../codec/native.js';
import { commonOptions, finish, type CommonValues } from '../lib/common.js';
import { cpuMs, residentBytes, startLocalGateway } from '../lib/gateway-child.js';
import { round } from '../lib/histogram.js';
import { parseOptions, usage, type OptionDef } from '../lib/options.js';
import { newReport } from '../lib/report.js';
import { clientFor } from '../lib/targets.js';

const options = {
  json: commonOptions.json,
  report: commonOptions.report,
  quiet: commonOptions.quiet,
  frames: { kind: 'string', default: 'native/testdata/web-cargo-clip.mkv', help: 'recording the customer replays, looped (a lossless video or a folder of PNGs; e.g. ../shared/corpus/web-cargo.mkv)' },
  fps: { kind: 'number', default: 15, min: 1, help: 'replay rate, frames per second' },
  duration: { kind: 'number', default: 10, min: 2, help: 'seconds measured per run' },
  'disk-kbps': { kind: 'int', default: 16, min: 1, help: 'slow-disk run: KiB per second the FIFO reader takes' },
  'budget-bytes': { kind: 'int', default: 64 << 10, min: 16 << 10, help: "the gateway's media budget per viewer (droppableQueueBytes), the recorder's included" },
} satisfies Record<string, OptionDef>;

interface Values {
  frames: string;
  fps: number;
  duration: number;
  diskKbps: number;
  budgetBytes: number;
  json?: string;
  report?: string;
  quiet?: boolean;
}

type Mode = 'off' | 'always' | 'slow-disk';

interface RunResult {
  mode: Mode;
  framesSent: number;
  cpuMsPerFrame: number;
  rssMiB: number;
  recordingBytes: number;
  recordedFrames: number;
  resyncs: number;
  exact: boolean | null;
}

export async function run(argv: string[]): Promise<void> {
  const o = parseOptions('recording', options, argv) as unknown as Values & { help?: boolean };
  if (o.help) {
    process.stdout.write(usage('recording', options));
    return;
  }
  const clip = loadFrames(o.frames);
  const report = newReport('recording', argv, { ...o });
  const results: RunResult[] = [];
  for (const mode of ['off', 'always', 'slow-disk'] as const) results.push(await session(mode, clip, o));
  const base = results[0]!;
  report.tables.push({
    title: `One session, ${clip.width}×${clip.height} replayed at ${o.fps} fps for ${o.duration} s (${o.frames}), media budget ${o.budgetBytes >> 10} KiB`,
    columns: ['run', 'frames sent', 'gateway CPU ms/frame', '× not recorded', 'gateway RSS MiB', 'recording bytes', 'MB/min', 'frames recorded', 'resyncs', 'last picture exact'],
    rows: results.map((r) => [
      r.mode === 'slow-disk' ? `recorded, disk ${o.diskKbps} KiB/s` : r.mode === 'always' ? 'recorded' : 'not recorded',
      r.framesSent,
      round(r.cpuMsPerFrame, 3),
      round(r.cpuMsPerFrame / base.cpuMsPerFrame, 2),
      round(r.rssMiB, 1),
      r.recordingBytes,
      round((r.recordingBytes / 1e6) * (60 / o.duration), 2),
      r.recordedFrames,
      r.resyncs,
      r.exact === null ? '–' : r.exact ? 'yes' : 'NO',
    ]),
  });
  report.figures.runs = results;
  report.notes.push('CPU: utime+stime of the gateway process over the replay (/proc), per frame the customer sent. RSS at the end of the replay.');
  report.notes.push('Slow disk: the recording file is a FIFO; a reader takes disk-kbps from it, so the recorder falls behind: frames are skipped (repaired with a keyframe), never queued without bound.');
  finish(report, o as unknown as CommonValues);
}

async function session(mode: Mode, clip: ReturnType<typeof loadFrames>, o: Values): Promise<RunResult> {
  const gw = await startLocalGateway({ technicians: 1, args: ['--droppable-queue-bytes', String(o.budgetBytes)] });
  const cleanup: (() => void)[] = [];
  let reader: ChildProcess | undefined;
  try {
    // The bench organisation's policy, written where the gateway reads it (it rereads the file within a second).
    const orgs = new FileOrgStore({ dataDir: gw.dataDir });
    await orgs.update('bench', (org) => void (org.policy = { recording: mode === 'off' ? 'off' : 'always' }), Date.now());
    await orgs.close();
    await new Promise((r) => setTimeout(r, 1100));
    const tech = clientFor(gw.target);
    cleanup.push(tech.close);
    await tech.client.login(gw.technicians[0]!.username, gw.technicians[0]!.password);
    const created = await tech.client.createSession();
    const dir = join(gw.dataDir, 'recordings');
    const file = join(dir, `${created.guid}.rdrec`);
    const sink = join(gw.dataDir, 'slow-disk.rdrec');
    if (mode === 'slow-disk') {
      await mkdir(dir, { recursive: true });
      if (spawnSync('mkfifo', [file]).status !== 0) throw new Error('mkfifo failed');
      reader = slowReader(file, sink, o.diskKbps * 1024);
    }
    const cust = clientFor(gw.target);
    cleanup.push(cust.close);
    const customer = await cust.client.joinSession({ pin: created.pin }, 'recording bench');
    cleanup.push(() => customer.close());
    const technician = await tech.client.pickUp(created.guid);
    await customer.waitFor('active');
    customer.grant('view');
    const codec = loadNative();
    const encoder = new codec.Encoder(clip.width, clip.height);
    let resyncs = 0;
    const sender = new ScreenSender<Buffer>({
      encode: (f, x) => encoder.encode(f, x),
      hasRoom: () => customer.bufferedAmount < 1 << 20,
      send: (b) => customer.sendRaw(b),
    });
    customer.on('resync', () => (resyncs++, sender.resync()));
    await new Promise((r) => setTimeout(r, 300));
    const period = 2 * clip.frames.length - 2;
    const frameAt = (i: number) => clip.frames[i % period < clip.frames.length ? i % period : period - (i % period)]!;
    const total = Math.round(o.fps * o.duration);
    const cpu0 = cpuMs(gw.pid)!;
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      sender.offer(frameAt(i));
      const due = t0 + ((i + 1) * 1000) / o.fps;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }
    const cpu = cpuMs(gw.pid)! - cpu0;
    const rss = residentBytes(gw.pid) ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    technician.end();
    await customer.waitFor('closed');
    let bytes = 0;
    let frames = 0;
    let exact: boolean | null = null;
    if (mode !== 'off') {
      const path = mode === 'slow-disk' ? sink : file;
      // The slow reader drains what the recorder had written before it stopped (bounded by the writer's limits).
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !(await endsWithStop(path))) await new Promise((r) => setTimeout(r, 200));
      const data = await readFile(path);
      bytes = data.byteLength;
      frames = readRecording(data).entries.filter((e) => e.screen).length;
      const last = pictureAt(data);
      // Exact: the picture equals the frame the customer sent under that frame number (frame n is frameAt(n - 1)).
      exact = last !== null && Buffer.from(last.bgra).equals(frameAt(last.frame - 1));
    }
    return { mode, framesSent: total, cpuMsPerFrame: cpu / total, rssMiB: rss / 2 ** 20, recordingBytes: bytes, recordedFrames: frames, resyncs, exact };
  } finally {
    for (const c of cleanup) c();
    reader?.kill();
    await gw.stop();
    await rm(join(gw.dataDir), { recursive: true, force: true });
  }
}

async function endsWithStop(path: string): Promise<boolean> {
  try {
    return readRecording(await readFile(path)).entries.at(-1)?.kind === 'stop';
  } catch {
    return false;
  }
}

/** A disk that takes `bytesPerSecond`: a process copying the FIFO to `sink` at that rate. */
function slowReader(fifo: string, sink: string, bytesPerSecond: number): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const out = fs.openSync(process.argv[2], 'w');
    const fd = fs.openSync(process.argv[1], 'r');
    const chunk = Buffer.alloc(16384);
    const tick = () => {
      let n = 0;
      try { n = fs.readSync(fd, chunk, 0, chunk.length, null); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
      if (n === 0) return process.exit(0);
      fs.writeSync(out, chunk, 0, n);
      setTimeout(tick, (n / ${bytesPerSecond}) * 1000);
    };
    tick();`;
  return spawn(process.execPath, ['-e', script, fifo, sink], { stdio: 'ignore' });
}
