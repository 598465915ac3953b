/**
 * One session of the mix, both sides in this worker (same clock, so one-way delays are exact): a
 * technician creates it, a customer joins with the PIN, the technician picks it up; then, as the plan
 * says, the customer replays the screen recording at its own pace, both chat, the customer sends a block
 * of data, and after the hold the technician ends it. The technician side measures what a person would
 * feel: time to first picture, frame delay, chat round trip, transfer time.
 */
import { encodeScreenFrame } from '../../protocol/screen-header.js';
import type { RelaydeskClient, SessionConnection } from '../../clients/sdk/src/node.js';
import type { MixMetrics } from './metrics.js';
import type { Recording } from './recording.js';

export interface SessionPlan {
  screen: boolean;
  chat: boolean;
  transfer: boolean;
  holdMs: number;
  chatIntervalMs: number;
  transferBytes: number;
}

const SCREEN = 0x01;
const DATA = 0x04;
/** A customer socket with more than this queued skips frames (and restarts from a keyframe), like an agent would. */
const SCREEN_BACKLOG_BYTES = 1 << 20;
const TRANSFER_CHUNK = 16 << 10;
const TRANSFER_BACKLOG_BYTES = 512 << 10;

interface Replay {
  conn: SessionConnection;
  startedAt: number;
  /** Index of the next packet of the recording; the replay loops. */
  index: number;
  loopStart: number;
  frame: number;
  needKeyframe: boolean;
  /** Send time per frame number (mod size), for the receiver's frame delay. */
  sentAt: Float64Array;
}

/**
 * Every screen replay of the worker on one 10 ms ticker (not a timer per session per frame: at thousands
 * of sessions the timers would cost the generator more than the sending).
 */
export class ScreenReplayer {
  private readonly replays = new Set<Replay>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly recording: Recording,
    private readonly metrics: MixMetrics,
  ) {}

  start(conn: SessionConnection): Replay {
    const r: Replay = { conn, startedAt: performance.now(), index: 0, loopStart: 0, frame: 0, needKeyframe: true, sentAt: new Float64Array(512) };
    // The gateway asks for a keyframe when a viewer lost the picture. A real agent re-sends its last frame as a
    // repair; the replay has only the recording's first keyframe, so it sends that as a new frame (a keyframe
    // builds on nothing, so the picture is right again) and goes on from there.
    conn.on('resync', () => {
      r.needKeyframe = true;
      this.metrics.add('resyncs');
    });
    this.replays.add(r);
    this.timer ??= setInterval(() => this.tick(), 10);
    return r;
  }

  stop(r: Replay): void {
    this.replays.delete(r);
    if (this.replays.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    const now = performance.now();
    const { packets, offsetsMs, durationMs } = this.recording;
    for (const r of this.replays) {
      const elapsed = now - r.startedAt;
      // Send what is due by now; a loop of the recording starts again from its keyframe.
      while (r.loopStart + offsetsMs[r.index]! <= elapsed) {
        if (r.conn.bufferedAmount > SCREEN_BACKLOG_BYTES) {
          r.needKeyframe = true; // a skipped delta breaks the chain: the next frame sent is a keyframe
          this.metrics.add('framesSkipped');
        } else {
          const keyframe = r.needKeyframe || r.index === 0;
          const packet = keyframe ? packets[0]! : packets[r.index]!;
          if (keyframe) r.index = 0;
          r.frame++;
          r.conn.sendRaw(encodeScreenFrame({ keyframe, repair: false, frame: r.frame, base: keyframe ? 0 : r.frame - 1 }, packet));
          r.sentAt[r.frame % r.sentAt.length] = performance.now();
          r.needKeyframe = false;
          this.metrics.add('framesSent');
          this.metrics.add('screenBytesSent', packet.length + 10);
        }
        if (++r.index >= packets.length) {
          r.index = 0;
          r.loopStart += durationMs;
        }
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runSession(
  i: number,
  tech: RelaydeskClient,
  customerClient: RelaydeskClient,
  plan: SessionPlan,
  replayer: ScreenReplayer | null,
  m: MixMetrics,
): Promise<void> {
  const session = await tech.createSession();
  const t0 = performance.now();
  let cust: SessionConnection | undefined;
  let techConn: SessionConnection | undefined;
  let replay: Replay | undefined;
  let chatTimer: NodeJS.Timeout | undefined;
  try {
    cust = await customerClient.joinSession({ pin: session.pin }, `customer ${i}`);
    const pickupAt = performance.now();
    techConn = await tech.pickUp(session.guid);
    await cust.waitFor('active', 10_000);
    m.record('pairing', performance.now() - t0);
    const c = cust;
    const t = techConn;

    // Technician side: what arrives, and when.
    let firstPicture = false;
    let transferred = 0;
    let transferStarted = 0;
    const chatSentAt = new Map<number, number>();
    const transferDone = new Promise<void>((resolve) => {
      t.on('data', (channel, payload) => {
        if (channel === SCREEN) {
          m.add('framesReceived');
          m.add('screenBytesReceived', payload.length + 1);
          const frame = ((payload[1]! << 24) | (payload[2]! << 16) | (payload[3]! << 8) | payload[4]!) >>> 0;
          const sent = replay?.sentAt[frame % replay.sentAt.length];
          if (sent) m.record('frame', performance.now() - sent);
          if (!firstPicture && (payload[0]! & 1) === 1) {
            firstPicture = true;
            m.record('first-picture', performance.now() - pickupAt);
          }
        } else if (channel === DATA) {
          transferred += payload.length;
          m.add('transferBytes', payload.length);
          if (transferred >= plan.transferBytes) {
            m.record('transfer', performance.now() - transferStarted);
            m.add('transfersDone');
            resolve();
          }
        }
      });
    });
    t.on('chat', (msg) => {
      const n = msg.from === 'customer' && msg.text.startsWith('a:') ? Number(msg.text.slice(2)) : NaN;
      const at = chatSentAt.get(n);
      if (at !== undefined) {
        m.record('chat', performance.now() - at);
        m.add('chatAnswered');
        chatSentAt.delete(n);
      }
    });
    // Customer side: answers chat at once, like a person typing "ok" would eventually.
    c.on('chat', (msg) => {
      if (msg.from === 'technician' && msg.text.startsWith('p:')) c.chat(`a:${msg.text.slice(2)}`);
    });

    if (plan.screen && replayer) {
      const granted = new Promise<void>((resolve) => t.on('grants', (powers) => powers.includes('view') && resolve()));
      c.grant('view');
      await granted;
      replay = replayer.start(c);
    }
    if (plan.chat) {
      let n = 0;
      const ping = () => {
        chatSentAt.set(++n, performance.now());
        m.add('chatSent');
        t.chat(`p:${n}`);
      };
      ping();
      chatTimer = setInterval(ping, plan.chatIntervalMs);
    }
    const holdUntil = performance.now() + plan.holdMs;
    if (plan.transfer) {
      transferStarted = performance.now();
      const chunk = new Uint8Array(TRANSFER_CHUNK);
      for (let sent = 0; sent < plan.transferBytes && performance.now() < holdUntil + 30_000; ) {
        if (c.bufferedAmount > TRANSFER_BACKLOG_BYTES) {
          await sleep(5);
          continue;
        }
        const n = Math.min(TRANSFER_CHUNK, plan.transferBytes - sent);
        c.send(DATA, n === TRANSFER_CHUNK ? chunk : chunk.subarray(0, n));
        sent += n;
      }
      await Promise.race([transferDone, sleep(Math.max(0, holdUntil - performance.now()) + 30_000)]);
      if (transferred < plan.transferBytes) throw new Error(`transfer incomplete: ${transferred} of ${plan.transferBytes} bytes arrived`);
    }
    const left = holdUntil - performance.now();
    if (left > 0) await sleep(left);
    if (plan.screen && !firstPicture) throw new Error('no picture arrived during the session');
    const closed = c.closedPromise();
    t.end();
    await Promise.race([closed, sleep(5000)]);
  } finally {
    if (chatTimer) clearInterval(chatTimer);
    if (replay) replayer?.stop(replay);
    cust?.close();
    techConn?.close();
  }
}
