import { summarizePacket } from '../../../clients/codec/format.js';
import { channels } from '../../../protocol/channels.js';
import { errorCodes } from '../../../protocol/error-codes.js';
import { encodeServerMessage } from '../../../protocol/messages.js';
import { readScreenHeader, screenPacket, type ScreenHeader } from '../../../protocol/screen-header.js';
import type { Writer } from '../delivery/writer.js';
import type { GatewayDecoders } from './gateway-decoders.js';
import { KeyframeRequest } from './keyframe-request.js';
import { noScreenCounters, type RepairKind, type ScreenCounters } from './screen-counters.js';
import { ScreenViewer } from './screen-viewer.js';
import { SessionDecoder } from './session-decoder.js';

/**
 * What the router did with one frame from the customer:
 * - forwarded: to `delivered` viewers (`dropped` of those it was meant for had no room);
 * - ignored: valid but of no use (a repair keyframe older than the newest frame);
 * - refused: bad input; `reason` is for an E_BAD_MESSAGE error to the customer. Nothing was forwarded.
 */
export type ScreenVerdict =
  | { kind: 'forwarded'; frame: number; delivered: number; dropped: number }
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; reason: string };

export interface ScreenRouterOptions {
  /** A viewer with more than this queued gets no media: the same figure its Writer drops media at. */
  mediaBudgetBytes: number;
  /** An unanswered keyframe request is sent again after this long. */
  keyframeTimeoutMs: number;
  /** Sends `{"type":"resync"}` to the agent (the session core wires it; never called twice in flight). */
  requestKeyframe(): void;
  /** The session's clock (ms), for onFrame; tick() passes its own `now`. */
  now(): number;
  counters?: ScreenCounters;
  /** The gateway's decoders (mode and memory cap); absent = repairs through the agent only. */
  decoders?: GatewayDecoders;
}

export interface ScreenStats {
  viewers: number;
  waiting: number;
  latestFrame: number;
  framesIn: number;
  refused: number;
  ignored: number;
  delivered: number;
  dropped: number;
  repairs: Record<RepairKind, number>;
  repairBytes: Record<RepairKind, number>;
  /**
   * From a viewer waiting with room for a repair to the repair being written: what a repair costs in time
   * (the agent's round trip and keyframe, or the gateway decoder making the packet).
   */
  repairWaitMs: { count: number; total: number; max: number };
  keyframeRequests: number;
  /** Gateway repairs that failed (the viewer was told, E_SCREEN_REPAIR, and the agent asked). */
  repairFailures: number;
  decoder: { active: boolean; synced: boolean; bytes: number };
}

const HEADER_RULES = 'a screen frame is the channel byte 0x01, flags (bit 0 keyframe, bit 1 repair, only on a keyframe), frame u32 ≥ 1, base u32 (0 exactly for a keyframe, below frame for a delta), then a codec packet';

/**
 * One live session's screen: every frame from the customer comes in here and goes out to the viewers, so
 * that no viewer's picture is ever wrong. A viewer gets a delta only on top of exactly the frame it has;
 * one that missed a frame (its writer had no room, it joined late, it was just granted `view`, it moved
 * between gateways) gets nothing but a repair, as soon as its queue has room for one:
 * - with a session decoder in sync (GatewayDecoders decides which sessions have one): a merged delta or a
 *   keyframe from the gateway's copy of the screen, at once;
 * - otherwise: the agent's repair keyframe, asked for with one `resync` per session at a time.
 *
 * Holds no frames and no timers: memory is a few numbers per viewer (plus the decoder where there is one),
 * and a viewer's queue never grows past the media budget plus one frame.
 */
export class ScreenRouter {
  private readonly viewers = new Map<string, ScreenViewer>();
  /** The newest frame number from the agent; 0 = none yet. */
  private latest = 0;
  private readonly request: KeyframeRequest;
  private decoder: SessionDecoder | null = null;
  private readonly counters: ScreenCounters;
  private readonly s = {
    framesIn: 0,
    refused: 0,
    ignored: 0,
    delivered: 0,
    dropped: 0,
    repairs: { agent_keyframe: 0, gateway_keyframe: 0, merged_delta: 0 } as Record<RepairKind, number>,
    repairBytes: { agent_keyframe: 0, gateway_keyframe: 0, merged_delta: 0 } as Record<RepairKind, number>,
    repairWaitMs: { count: 0, total: 0, max: 0 },
    repairFailures: 0,
  };

  constructor(private readonly o: ScreenRouterOptions) {
    if (!(o.mediaBudgetBytes > 0)) throw new RangeError(`mediaBudgetBytes must be > 0 (got ${o.mediaBudgetBytes})`);
    if (!(o.keyframeTimeoutMs > 0)) throw new RangeError(`keyframeTimeoutMs must be > 0 (got ${o.keyframeTimeoutMs})`);
    this.counters = o.counters ?? noScreenCounters;
    this.request = new KeyframeRequest(o.requestKeyframe, o.keyframeTimeoutMs);
  }

  /**
   * A viewer that needs a picture: a late joiner, one just granted `view`, one back on a new connection.
   * The same viewer on the same writer again changes nothing.
   */
  addViewer(id: string, writer: Writer): void {
    if (this.viewers.get(id)?.writer === writer) return;
    this.viewers.set(id, new ScreenViewer(id, writer));
    this.fitDecoder();
    this.repairWaiting(this.o.now());
  }

  removeViewer(id: string): void {
    if (this.viewers.delete(id)) this.fitDecoder();
  }

  /** The viewer's picture is unknown (it moved between gateways, its decoder failed): repair it with a keyframe. */
  invalidate(id: string): void {
    const v = this.viewers.get(id);
    if (!v) return;
    v.forget();
    this.repairWaiting(this.o.now());
  }

  /**
   * The customer's connection was lost and is back: frames it had in flight may be gone, so the agent is
   * asked for a keyframe now rather than at the first gap (a viewer that has the frame ignores the repair),
   * also if a request is outstanding: that one went to the lost connection.
   */
  customerBack(): void {
    this.request.resend(this.o.now());
    this.counters.keyframeRequests.inc();
  }

  /** Once a second from the session's ticker: repairs viewers whose queue drained while no frame came. */
  tick(now: number): void {
    this.repairWaiting(now);
  }

  /** The session ended: gives the decoder's memory back. Safe to call twice. */
  close(): void {
    this.viewers.clear();
    this.decoder?.drop();
    this.decoder = null;
  }

  /**
   * One whole screen frame from the customer (channel byte included). `bytes` is written to viewers as it
   * is, so it must stay valid after the call (uWS message buffers must be copied by the caller).
   */
  onFrame(bytes: Uint8Array): ScreenVerdict {
    const now = this.o.now();
    this.s.framesIn++;
    if (bytes.byteLength === 0 || bytes[0] !== channels.screen.id) return this.refuse(`not a screen frame (channel byte ${bytes[0] ?? 'missing'}, expected ${channels.screen.id})`);
    const h = readScreenHeader(bytes);
    if (!h) return this.refuse(`malformed screen header: ${HEADER_RULES}`);
    const packet = screenPacket(bytes);
    const summary = summarizePacket(packet);
    if (!summary) return this.refuse('the screen frame does not carry a codec packet (docs/codec.md: magic "RDC", version 1)');
    if (summary.keyframe !== h.keyframe) return this.refuse(`the screen header says ${h.keyframe ? 'keyframe' : 'delta'} but the codec packet is ${summary.keyframe ? 'a keyframe' : 'a delta'}`);
    if (h.repair) {
      // The agent answers resync with the frame it last sent, which we already have unless frames are in
      // flight the other way round (impossible on one ordered connection) or this router is new.
      if (h.frame < this.latest) return this.ignore(`repair keyframe of frame ${h.frame} is older than frame ${this.latest}`);
    } else if (!h.keyframe && this.latest !== 0 && h.frame <= this.latest) {
      return this.refuse(`screen frame ${h.frame} is not newer than frame ${this.latest}`);
    }
    if (this.decoder) {
      const failed = this.decoder.feed(h, packet, summary);
      if (failed) return this.refuse(`the screen packet does not decode (${failed})`);
    }
    if (h.keyframe) this.request.answer(now);
    // A viewer waiting for the session's very first picture is not counted as repaired by it.
    const hadPicture = this.latest !== 0;
    this.latest = h.frame;
    const verdict = this.forward(bytes, h, hadPicture);
    this.repairWaiting(now);
    return verdict;
  }

  get stats(): ScreenStats {
    let waiting = 0;
    for (const v of this.viewers.values()) if (v.waiting) waiting++;
    return {
      viewers: this.viewers.size,
      waiting,
      latestFrame: this.latest,
      framesIn: this.s.framesIn,
      refused: this.s.refused,
      ignored: this.s.ignored,
      delivered: this.s.delivered,
      dropped: this.s.dropped,
      repairs: { ...this.s.repairs },
      repairBytes: { ...this.s.repairBytes },
      repairWaitMs: { ...this.s.repairWaitMs },
      keyframeRequests: this.request.sent,
      repairFailures: this.s.repairFailures,
      decoder: { active: this.decoder !== null, synced: this.decoder?.synced ?? false, bytes: this.decoder?.bytes ?? 0 },
    };
  }

  /** Hot path: one pass over the viewers, no allocation per viewer. */
  private forward(bytes: Uint8Array, h: ScreenHeader, countRepairs: boolean): ScreenVerdict {
    const synced = this.decoder?.synced === true;
    const generation = synced ? this.decoder!.generation : -1;
    const epoch = this.decoder?.epoch ?? 0;
    let delivered = 0;
    let dropped = 0;
    for (const v of this.viewers.values()) {
      if (h.repair) {
        // Only for those who lack this frame; the others' picture is this frame (now known to the decoder).
        if (!v.waiting && v.has === h.frame) {
          if (synced) v.got(h.frame, generation, epoch);
          continue;
        }
        if (!this.hasRoom(v)) continue; // sent nothing, so nothing dropped: it waits for room
      } else if (!h.keyframe) {
        if (v.waiting) continue; // repaired after this pass
        if (v.has !== h.base) {
          v.lose();
          continue;
        }
      }
      // Deltas on their base and plain keyframes (for everyone: they repair anyone waiting).
      if (!h.repair && !this.hasRoom(v)) {
        dropped++;
        v.lose();
        continue;
      }
      const wasWaiting = v.waiting;
      if (v.writer.write(bytes, true, 'media') === 'dropped') {
        dropped++;
        v.lose();
        continue;
      }
      delivered++;
      if (wasWaiting && countRepairs) this.repaired(v, 'agent_keyframe', bytes.byteLength);
      v.got(h.frame, generation, epoch);
    }
    this.s.delivered += delivered;
    this.s.dropped += dropped;
    if (delivered) this.counters.delivered.inc(delivered);
    if (dropped) this.counters.dropped.inc(dropped);
    return { kind: 'forwarded', frame: h.frame, delivered, dropped };
  }

  /**
   * Repairs every waiting viewer whose queue has room: from the session decoder when it is in sync, else
   * by asking the agent (once per session; again after the timeout). Viewers without room are left alone:
   * a repair now would only be dropped again.
   */
  private repairWaiting(now: number): void {
    if (this.latest === 0) return; // no frame yet: the agent's first keyframe goes to everyone
    let d = this.decoder?.synced ? this.decoder : null;
    let askAgent = false;
    for (const v of this.viewers.values()) {
      if (!v.waiting || !this.hasRoom(v)) continue;
      if (v.readySince < 0) v.readySince = now;
      if (!d) {
        askAgent = true;
        continue;
      }
      const known = v.has !== 0 && v.generation >= 0 && v.decoderEpoch === d.epoch;
      if (known && v.has === this.latest) {
        v.got(v.has, v.generation, d.epoch); // it missed nothing after all
        continue;
      }
      let repair: ReturnType<SessionDecoder['repairFor']>;
      try {
        repair = d.repairFor(known ? v.generation : -1, v.has);
      } catch (err) {
        // The decoder cannot serve anyone now: this viewer hears why, and every waiting viewer goes to the agent.
        this.decoderFailed(v, err);
        d = null;
        askAgent = true;
        continue;
      }
      const { kind, bytes } = repair;
      if (v.writer.write(bytes, true, 'media') === 'dropped') continue;
      this.s.delivered++;
      this.counters.delivered.inc();
      this.repaired(v, kind, bytes.byteLength);
      v.got(this.latest, d.generation, d.epoch);
    }
    if (askAgent && this.request.ask(now)) this.counters.keyframeRequests.inc();
  }

  /**
   * The gateway's repair failed (the native decoder threw): its copy of the screen is dropped (in sync again
   * from the next keyframe), the viewer is told in a non-closing error, and the caller asks the agent.
   */
  private decoderFailed(v: ScreenViewer, err: unknown): void {
    this.s.repairFailures++;
    this.decoder?.drop();
    const e = err as { code?: string; message?: string };
    const why = `${e.code ?? 'E_CODEC'}: ${e.message ?? String(err)}`;
    const message = `${errorCodes.E_SCREEN_REPAIR.message} (${why})`;
    v.writer.write(encodeServerMessage({ v: 1, type: 'error', code: 'E_SCREEN_REPAIR', message }), false, 'control');
  }

  private hasRoom(v: ScreenViewer): boolean {
    return v.writer.open && v.writer.queuedBytes <= this.o.mediaBudgetBytes;
  }

  private repaired(v: ScreenViewer, kind: RepairKind, bytes: number): void {
    this.s.repairs[kind]++;
    this.s.repairBytes[kind] += bytes;
    this.counters.repairs[kind].inc();
    // Read the clock now, after the write: a gateway repair's time is the CPU its packet took to make.
    const waited = v.readySince < 0 ? 0 : this.o.now() - v.readySince;
    const w = this.s.repairWaitMs;
    w.count++;
    w.total += waited;
    if (waited > w.max) w.max = waited;
  }

  /** Keeps a session decoder exactly while the gateway's policy wants one for this many viewers. */
  private fitDecoder(): void {
    const wants = this.o.decoders?.wants(this.viewers.size) ?? false;
    if (wants && !this.decoder) this.decoder = new SessionDecoder(this.o.decoders!); // in sync from the next keyframe
    else if (!wants && this.decoder) {
      this.decoder.drop();
      this.decoder = null;
    }
  }

  private refuse(reason: string): ScreenVerdict {
    this.s.refused++;
    return { kind: 'refused', reason };
  }

  private ignore(reason: string): ScreenVerdict {
    this.s.ignored++;
    return { kind: 'ignored', reason };
  }
}
