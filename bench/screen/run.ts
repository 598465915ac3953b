/**
 * `npm run bench -- screen`: screen fan-out. One customer replays a recording (decoded to BGRA by ffmpeg,
 * encoded live by the native Encoder behind the SDK's ScreenSender, looped) to 1, 4 and 16 viewers over real
 * TLS WebSockets, for each repair strategy. Viewer 0 is slowed: it stops reading until the gateway drops
 * frames for it, then reads again. Figures: gateway CPU per delivered frame, repairs sent by kind, the bytes a
 * repair costs and the time from the viewer reading again to its picture being current, and whether that
 * picture is pixel-exact at the end. A second table measures each repair way in isolation on the same
 * recording (bytes, CPU, memory per session).
 *
 * Through a real gateway process (its CPU and memory are measured): the first technician picks the session up,
 * the others attend it; the customer grants `view`.
 */
import type WebSocket from 'ws';
import { channels } from '../../protocol/channels.js';
import { readScreenHeader } from '../../protocol/screen-header.js';
import type { SessionConnection } from '../../clients/sdk/src/session-connection.js';
import { ScreenReceiver, type FrameDecoder } from '../../clients/sdk/src/screen/screen-receiver.js';
import { ScreenSender } from '../../clients/sdk/src/screen/screen-sender.js';
import { screenRepairModes, type ScreenRepairMode } from '../../gateway/src/screen/gateway-decoders.js';
import { describeInput, readFrames, type FrameInput } from '../codec/frames.js';
import { loadNative, type NativeCodec } from '../codec/native.js';
import { commonOptions, finish, type CommonValues } from '../lib/common.js';
import { cpuMs, residentBytes, startLocalGateway } from '../lib/gateway-child.js';
import { clientFor } from '../lib/targets.js';
import { round } from '../lib/histogram.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress } from '../lib/progress.js';
import { newReport, type BenchReport } from '../lib/report.js';
import { networkNote, runInSlowNamespace, wantsNamespace } from './slow-network.js';

const options = {
  json: commonOptions.json,
  report: commonOptions.report,
  'svg-dir': commonOptions['svg-dir'],
  quiet: commonOptions.quiet,
  frames: { kind: 'string', default: 'native/testdata/web-cargo-clip.mkv', help: 'recording the customer replays, looped (a lossless video or a folder of PNGs; e.g. ../shared/corpus/web-cargo.mkv)' },
  viewers: { kind: 'list', default: ['1', '4', '16'], help: 'viewer counts, one run each (viewer 0 is the slowed one)' },
  repair: { kind: 'list', default: ['agent', 'gateway'], help: `repair strategies to compare (${screenRepairModes.join(', ')})` },
  fps: { kind: 'number', default: 15, min: 1, help: 'replay rate, frames per second' },
  duration: { kind: 'number', default: 12, min: 2, help: 'seconds measured per run' },
  pauses: { kind: 'int', default: 2, min: 0, help: 'times the slowed viewer stops reading per run' },
  'budget-bytes': { kind: 'int', default: 64 << 10, min: 16 << 10, help: 'media budget per viewer (small, so a pause drops within seconds despite kernel buffers)' },
  'min-viewers': { kind: 'int', default: 4, min: 1, help: 'auto strategy: sessions with this many viewers keep a gateway decoder' },
  'decode-all': { kind: 'flag', help: 'every viewer decodes pixels (default: the slowed one and one other; the rest check the header chain)' },
  'cost-frames': { kind: 'int', default: 120, min: 2, help: 'frames of the recording for the repair-cost table' },
  'host-network': { kind: 'flag', help: "stay on the host's loopback instead of a namespace with WAN-sized TCP buffers (root only; see bench/screen/slow-network.ts)" },
} satisfies Record<string, OptionDef>;

interface Values extends Pick<CommonValues, 'json' | 'report' | 'svgDir' | 'quiet'> {
  frames: string;
  viewers: string[];
  repair: string[];
  fps: number;
  duration: number;
  pauses: number;
  budgetBytes: number;
  minViewers: number;
  decodeAll?: boolean;
  costFrames: number;
  hostNetwork?: boolean;
}

interface RunResult {
  repair: ScreenRepairMode;
  viewers: number;
  /** Frames the customer sent in the measured window. */
  framesSent: number;
  delivered: number;
  dropped: number;
  gatewayCpuMs: number;
  cpuUsPerDeliveredFrame: number;
  cpuUsPerFrameIn: number;
  repairs: ScreenMetrics['repairs'];
  keyframeRequests: number;
  /** Viewer side: from reading again to a current picture, per pause. */
  viewerRepairMs: number[];
  /** Viewer side: bytes of each repair packet the slowed viewer got. */
  repairBytes: number[];
  /** Pauses after which the gateway dropped nothing (kernel buffers took it all). */
  pausesWithoutDrop: number;
  agentRepairs: number;
  agentBytes: number;
  exact: boolean;
  chainViolations: number;
  gatewayRssMiB: number;
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('screen', options, argv);
  if (parsed.help) return void process.stdout.write(usage('screen', options) + '\n');
  const o = parsed as unknown as Values;
  const repairs = o.repair.map((r) => {
    if (!screenRepairModes.includes(r as ScreenRepairMode)) throw new UsageError(`--repair ${r}: one of ${screenRepairModes.join(', ')}`);
    return r as ScreenRepairMode;
  });
  const viewerCounts = o.viewers.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--viewers ${v}: a whole number from 1 to 256`);
    return n;
  });
  const input = describeInput(o.frames);
  if (!o.hostNetwork && wantsNamespace()) {
    const status = await runInSlowNamespace([process.execPath, '--import', 'tsx', 'bench/main.ts', 'screen', ...argv]);
    if (status !== 0) process.exitCode = status;
    return;
  }
  const codec = loadNative();
  const report = newReport('screen', argv, { ...o });
  const costs = await repairCosts(codec, input, o);
  const results: RunResult[] = [];
  for (const repair of repairs) for (const viewers of viewerCounts) results.push(await fanout(codec, input, repair, viewers, o));
  summarize(report, input, o, results, costs);
  finish(report, o as unknown as CommonValues);
}

/** The screen figures of the gateway's /metrics (relaydesk_screen_*), summed over its sessions. */
interface ScreenMetrics {
  delivered: number;
  dropped: number;
  repairs: Record<'agent_keyframe' | 'gateway_keyframe' | 'merged_delta', number>;
  keyframeRequests: number;
}

async function screenMetrics(adminPort: number): Promise<ScreenMetrics> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const value = (name: string, label?: string) => {
    const m = new RegExp(`^${name}\\{[^}]*${label ? `${label}[^}]*` : ''}\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    delivered: value('relaydesk_screen_frames_total', 'outcome="delivered"'),
    dropped: value('relaydesk_screen_frames_total', 'outcome="dropped"'),
    repairs: {
      agent_keyframe: value('relaydesk_screen_repairs_total', 'kind="agent_keyframe"'),
      gateway_keyframe: value('relaydesk_screen_repairs_total', 'kind="gateway_keyframe"'),
      merged_delta: value('relaydesk_screen_repairs_total', 'kind="merged_delta"'),
    },
    keyframeRequests: value('relaydesk_screen_keyframe_requests_total'),
  };
}

/** A viewer that checks the header chain without pixels (most viewers of a large run: the bench's own CPU). */
class ChainOnly implements FrameDecoder {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
  decode(): void {}
}

interface Viewer {
  conn: SessionConnection;
  receiver: ScreenReceiver<FrameDecoder>;
  resumedAt: number | undefined;
  /** The customer's frame number when it resumed: the picture is current once it shows this one or later. */
  currentAt: number;
  repairMs: number[];
  /** Bytes of the repair packets it got (repair keyframes, and merged deltas: a delta on an older base). */
  repairBytes: number[];
}

/** The `ws` socket under the SDK's connection (a private field: only the benchmark reaches in, to pause reading). */
const socketOf = (conn: SessionConnection) => (conn as unknown as { socket: WebSocket }).socket;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fanout(codec: NativeCodec, input: FrameInput, repair: ScreenRepairMode, viewerCount: number, o: Values): Promise<RunResult> {
  const gw = await startLocalGateway({
    technicians: viewerCount,
    args: ['--screen-repair', repair, '--screen-decoder-min-viewers', String(o.minViewers), '--droppable-queue-bytes', String(o.budgetBytes)],
  });
  const cleanup: (() => void)[] = [];
  const viewers: Viewer[] = [];
  try {
    const clients = gw.technicians.map(() => clientFor(gw.target));
    for (const c of clients) cleanup.push(c.close);
    await Promise.all(clients.map((c, i) => c.client.login(gw.technicians[i]!.username, gw.technicians[i]!.password)));
    const created = await clients[0]!.client.createSession();
    const cust = clientFor(gw.target);
    cleanup.push(cust.close);
    const customer = await cust.client.joinSession({ pin: created.pin }, 'screen bench');
    cleanup.push(() => customer.close()); // else it would try to resume when the gateway stops
    const conns = [await clients[0]!.client.pickUp(created.guid)];
    await customer.waitFor('active');
    customer.grant('view');
    for (const c of clients.slice(1)) conns.push(await c.client.attend(created.guid));
    for (const [i, conn] of conns.entries()) {
      const decodes = o.decodeAll || i < 2;
      const v: Viewer = {
        conn,
        receiver: new ScreenReceiver<FrameDecoder>({ createDecoder: (w, h) => (decodes ? new codec.Decoder(w, h) : new ChainOnly(w, h)) }),
        resumedAt: undefined,
        currentAt: 0,
        repairMs: [],
        repairBytes: [],
      };
      conn.on('data', (channel, payload) => {
        if (channel !== channels.screen.id) return;
        const h = readScreenHeader(Uint8Array.of(channel, ...payload.subarray(0, 9)));
        if (h && v.resumedAt !== undefined && (h.repair || (!h.keyframe && h.base !== h.frame - 1))) v.repairBytes.push(payload.byteLength + 1);
        v.receiver.receiveData(channel, payload);
        // Current again: it shows the frame the customer had sent when it resumed reading, or a later one.
        if (v.resumedAt !== undefined && v.receiver.frame >= v.currentAt) {
          v.repairMs.push(performance.now() - v.resumedAt);
          v.resumedAt = undefined;
        }
      });
      viewers.push(v);
    }

    // The customer: live encoding of the looped recording; resync answered with a repair keyframe.
    const encoder = new codec.Encoder(input.width, input.height);
    let lastEncoded: Buffer | undefined;
    const sender = new ScreenSender<Buffer>({
      encode: (frame, opt) => ((lastEncoded = frame), encoder.encode(frame, opt)),
      send: (bytes) => customer.sendRaw(bytes),
      hasRoom: () => customer.bufferedAmount < 4 << 20,
    });
    customer.on('resync', () => sender.resync());

    let stop = false;
    const progress = new Progress(`screen ${repair} ${viewerCount} viewer${viewerCount > 1 ? 's' : ''}`, () => `frames ${sender.frame}  repairs ${sender.stats.repairs}`, { quiet: o.quiet }).start();
    const replay = (async () => {
      const interval = 1000 / o.fps;
      let next = performance.now();
      for await (const frame of looped(input)) {
        if (stop) break;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next = Math.max(next + interval, performance.now() - interval);
        sender.offer(frame);
        sender.flush();
      }
    })();

    await sleep(1500); // first keyframe out, everyone current
    const cpu0 = cpuMs(gw.pid)!;
    const m0 = await screenMetrics(gw.adminPort);
    const sent0 = sender.frame;
    const t0 = performance.now();
    const slow = viewers[0]!;
    let pausesWithoutDrop = 0;
    for (let k = 0; k < o.pauses; k++) {
      await sleep(Math.max(0, t0 + ((k + 0.5) * o.duration * 1000) / (o.pauses + 0.5) - performance.now()));
      const before = (await screenMetrics(gw.adminPort)).dropped;
      socketOf(slow.conn).pause();
      const pausedAt = performance.now();
      let dropped = false;
      while (performance.now() - pausedAt < 15_000) {
        await sleep(100);
        if ((await screenMetrics(gw.adminPort)).dropped > before) {
          dropped = true;
          break;
        }
      }
      if (!dropped) pausesWithoutDrop++;
      await sleep(300);
      slow.currentAt = sender.frame;
      slow.resumedAt = performance.now();
      socketOf(slow.conn).resume();
    }
    await sleep(Math.max(0, t0 + o.duration * 1000 - performance.now())); // pauses that ran long extend the run
    const cpu1 = cpuMs(gw.pid)!;
    const m1 = await screenMetrics(gw.adminPort);
    const sent1 = sender.frame;
    const rss = residentBytes(gw.pid) ?? 0;
    stop = true;
    await replay;
    progress.stop();
    await sleep(1500); // let every viewer drain and be repaired, then compare pictures
    const final = await screenMetrics(gw.adminPort);
    const truth = lastEncoded!;
    const checked = viewers.filter((v) => v.receiver.decoder instanceof codec.Decoder);
    const exact = checked.every((v) => v.receiver.frame === sender.frame && (v.receiver.decoder as InstanceType<NativeCodec['Decoder']>).frame().equals(truth));
    const delivered = m1.delivered - m0.delivered;
    const framesIn = sent1 - sent0;
    const cpu = cpu1 - cpu0;
    return {
      repair,
      viewers: viewerCount,
      framesSent: framesIn,
      delivered,
      dropped: m1.dropped - m0.dropped,
      gatewayCpuMs: round(cpu, 0),
      cpuUsPerDeliveredFrame: round((cpu * 1000) / Math.max(1, delivered), 1),
      cpuUsPerFrameIn: round((cpu * 1000) / Math.max(1, framesIn), 1),
      repairs: final.repairs,
      keyframeRequests: final.keyframeRequests,
      viewerRepairMs: slow.repairMs.map((ms) => round(ms, 1)),
      repairBytes: slow.repairBytes,
      pausesWithoutDrop,
      agentRepairs: sender.stats.repairs,
      agentBytes: sender.stats.bytes,
      exact,
      chainViolations: viewers.reduce((n, v) => n + v.receiver.counts.waiting + v.receiver.counts.failed, 0),
      gatewayRssMiB: round(rss / 2 ** 20, 1),
    };
  } finally {
    for (const v of viewers) v.conn.close();
    for (const c of cleanup.reverse()) c();
    await gw.stop();
  }
}

/** Short clips are kept in memory and looped (restarting ffmpeg per loop would stall the replay); long recordings are streamed again. */
async function* looped(input: FrameInput): AsyncGenerator<Buffer> {
  let kept: Buffer[] = [];
  let complete = true;
  for await (const frame of readFrames(input)) {
    if (complete && kept.length < 32) kept.push(frame);
    else [complete, kept] = [false, []]; // a long recording: 8 MB a frame is too much to keep
    yield frame;
  }
  for (;;) {
    if (complete) yield* kept;
    else yield* readFrames(input);
  }
}

interface RepairCosts {
  frames: number;
  decodeMsPerFrame: number;
  agentKeyframe: { bytes: number; encodeMs: number };
  gatewayKeyframe: { bytes: number; ms: number };
  mergedDelta: { lagFrames: number; bytes: number; ms: number; deltasItReplaces: number }[];
  decoderBytes: number;
}

/** Each repair way alone, on the first `costFrames` frames of the recording: what a repair costs where. */
async function repairCosts(codec: NativeCodec, input: FrameInput, o: Values): Promise<RepairCosts> {
  const encoder = new codec.Encoder(input.width, input.height);
  const decoder = new codec.Decoder(input.width, input.height);
  const sizes: number[] = [];
  let decodeMs = 0;
  let last: Buffer | undefined;
  for await (const frame of readFrames(input, o.costFrames)) {
    const packet = encoder.encode(frame);
    sizes.push(packet.length);
    const t = performance.now();
    decoder.decode(packet);
    decodeMs += performance.now() - t;
    last = frame;
  }
  const timed = <T>(f: () => T): [T, number] => {
    const t = performance.now();
    const r = f();
    return [r, performance.now() - t];
  };
  // Median of a few runs: one-off figures on a shared machine jump around.
  const median = (f: () => Buffer): [number, number] => {
    const runs = [0, 1, 2, 3, 4].map(() => timed(f));
    runs.sort((a, b) => a[1] - b[1]);
    return [runs[2]![0].length, runs[2]![1]];
  };
  const [agentBytes, agentMs] = median(() => encoder.encode(last!, { keyframe: true }));
  const [keyBytes, keyMs] = median(() => decoder.keyframe());
  const g = decoder.generation;
  const lags = [1, Math.round(o.fps), Math.round(5 * o.fps)].filter((l) => l < g);
  const mergedDelta = lags.map((lag) => {
    const [bytes, ms] = median(() => decoder.deltaSince(g - lag));
    return { lagFrames: lag, bytes, ms: round(ms, 2), deltasItReplaces: sizes.slice(-lag).reduce((a, b) => a + b, 0) };
  });
  return {
    frames: sizes.length,
    decodeMsPerFrame: round(decodeMs / sizes.length, 3),
    agentKeyframe: { bytes: agentBytes, encodeMs: round(agentMs, 2) },
    gatewayKeyframe: { bytes: keyBytes, ms: round(keyMs, 2) },
    mergedDelta,
    decoderBytes: input.width * input.height * 4,
  };
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

function summarize(r: BenchReport, input: FrameInput, o: Values, results: RunResult[], costs: RepairCosts): void {
  r.figures = { input: { label: input.label, width: input.width, height: input.height }, runs: results, costs };
  r.tables.push({
    title: `Screen fan-out: ${input.label} ${input.width}x${input.height} at ${o.fps} fps, ${o.duration} s per run, viewer 0 paused until frames drop (${o.pauses}x), media budget ${o.budgetBytes >> 10} KiB`,
    columns: ['repair', 'viewers', 'frames in', 'delivered', 'dropped', 'gw CPU µs/delivered', 'gw CPU µs/frame in', 'repairs agent kf', 'gw kf', 'merged', 'resync sent', 'avg repair B', 'viewer repair ms (median)', 'exact', 'gw RSS MiB'],
    rows: results.map((x) => [
      x.repair, x.viewers, x.framesSent, x.delivered, x.dropped, x.cpuUsPerDeliveredFrame, x.cpuUsPerFrameIn,
      x.repairs.agent_keyframe, x.repairs.gateway_keyframe, x.repairs.merged_delta, x.keyframeRequests,
      x.repairBytes.length ? Math.round(x.repairBytes.reduce((a, b) => a + b, 0) / x.repairBytes.length) : 0,
      round(median(x.viewerRepairMs), 1), x.exact && x.chainViolations === 0 ? 'yes' : 'NO', x.gatewayRssMiB,
    ]),
  });
  r.tables.push({
    title: `Repair cost per way (${costs.frames} frames of ${input.label}; median of 5)`,
    columns: ['way', 'bytes', 'CPU ms', 'where the CPU goes', 'replaces (bytes of deltas)'],
    rows: [
      ['agent keyframe (resync)', costs.agentKeyframe.bytes, costs.agentKeyframe.encodeMs, "agent; plus a round trip and the customer's uplink", '-'],
      ['gateway keyframe()', costs.gatewayKeyframe.bytes, costs.gatewayKeyframe.ms, 'gateway', '-'],
      ...costs.mergedDelta.map((m) => [`merged deltaSince(${m.lagFrames} frame${m.lagFrames > 1 ? 's' : ''} back)`, m.bytes, m.ms, 'gateway', m.deltasItReplaces] as (string | number)[]),
      ['gateway decoder, every frame', '-', costs.decodeMsPerFrame, `gateway, per frame, and ${round(costs.decoderBytes / 2 ** 20, 1)} MiB of framebuffer per session (gw RSS above: agent vs gateway runs)`, '-'],
    ],
  });
  for (const x of results) {
    if (x.pausesWithoutDrop) r.notes.push(`${x.repair}/${x.viewers}: ${x.pausesWithoutDrop} pause(s) caused no drop within 15 s (kernel buffers absorbed them)`);
    if (!x.exact || x.chainViolations) r.notes.push(`${x.repair}/${x.viewers}: a checked viewer's final picture differs or it saw ${x.chainViolations} chain violations`);
  }
  r.notes.push('viewer repair ms: from the slowed viewer reading again to its picture being current (its queue drains first, then the gateway sees room at the next frame or tick and repairs); avg repair B: the repair packets it got');
  r.notes.push(networkNote());
  r.notes.push('one real gateway process (startLocalGateway) per run; the first technician picks the session up, the others attend; gateway figures from its /metrics and /proc');
}
