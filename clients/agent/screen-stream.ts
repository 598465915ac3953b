/**
 * Screen and cursor to the viewers, paced by damage: a frame is made only when X reports a change, at most
 * `maxFps` a second, and never while the connection still holds more than `maxBufferedBytes` unsent: then the
 * damage keeps accumulating (merged) in the desktop and the next frame is the newest picture. There is never
 * a queue of stale frames.
 *
 * Frames carry the screen header: the SDK's ScreenSender numbers them 1, 2, 3…, each delta naming the frame it
 * builds on, and answers `resync()` with a keyframe of the frame last sent (same number, flags keyframe|repair),
 * which is the encoder's reference and the content of `frame` between ticks.
 */
import { encodeCursor } from '../../protocol/cursor-events.js';
import { MAX_CURSOR_EDGE } from '../../protocol/cursor-events.js';
import { ScreenSender } from '../sdk/src/screen/screen-sender.js';
import { Emitter } from '../sdk/src/emitter.js';
import type { Desktop } from './desktop.js';
import { loadNative, type Encoder } from './native.js';

const CURSOR_CHANNEL = 0x05;

export interface FrameSink {
  readonly bufferedAmount: number;
  /** A whole binary message, channel byte first. */
  sendRaw(bytes: Uint8Array): void;
}

export interface ScreenStreamOptions {
  maxFps?: number;
  /** Hold frames back while more than this waits in the socket (default 512 KiB). */
  maxBufferedBytes?: number;
  /** How soon to look again while the connection is backed up (default 4 ms); otherwise X's own events wake the stream. */
  pollMs?: number;
  /** Measure the CPU of capture and of encoding separately for each frame (benchmarks; two cheap syscalls a frame). */
  measureCpu?: boolean;
  /** Encoder worker threads (default 1: measured 10-30 % less CPU per frame than 2 on real 1080p activity, and the
   *  customer's machine is busy with their own work; see bench/agent). */
  threads?: number;
  now?: () => number;
}

export type StreamEvents = {
  /** A frame went out (for status and benchmarks): frame number, keyframe, packet bytes, capture+encode ms. */
  frame: [{ frame: number; keyframe: boolean; repair: boolean; bytes: number; ms: number; cpu?: { captureMs: number; encodeMs: number } }];
  /** The shared area changed size (a window was resized). */
  resized: [{ width: number; height: number }];
  /** The shared window is gone: nothing more to send. */
  gone: [];
  /** Text the customer copied. */
  clipboard: [string];
  /** The desktop failed (connection to X lost): the stream stopped. */
  failed: [Error];
};

export class ScreenStream extends Emitter<StreamEvents> {
  /** Waiting on the X connection (run() until close()). */
  private watching = false;
  /** Called when the X connection turns readable (one closure for the stream's life). */
  private readonly onReadable = (): void => this.tick();
  /** The one timer: a frame held back by the frame interval or by backpressure, the cursor, queued events. */
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;
  /** The pending timer is the deadline a round returned (not one asked for from outside a round). */
  private timerFromRound = false;
  private sending = false;
  private paused = false;
  private frame: Buffer;
  private encoder: Encoder;
  /** What the last grab wrote (x, y, w, h quads), handed to the encoder so it compares only there. */
  private readonly changed = new Int32Array(4 * 64);
  /** Quads of `changed` valid for the frame being offered; -1 when the encoder must compare everything. */
  private changedCount = -1;
  /** A grab failed half-way: the frame may differ from the encoder's reference anywhere. */
  private compareAll = false;
  private needKey = true;
  /** Numbering, the screen header and repairs (the SDK's, shared with every agent). */
  private readonly sender: ScreenSender<Buffer>;
  private lastSentAt = -Infinity;
  private lastCursor = '';
  private lastCursorAt = -Infinity;
  /** Pointer checks in a row that found it where it was: after a while it is looked at less often. */
  private cursorStill = 0;
  private cursorShapeDue = true;
  private goneReported = false;
  private readonly minIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly pollMs: number;
  private readonly threads: number;
  private readonly now: () => number;
  private readonly measureCpu: boolean;

  constructor(
    private readonly desktop: Desktop,
    private readonly sink: FrameSink,
    options: ScreenStreamOptions = {},
  ) {
    super();
    this.minIntervalMs = 1000 / (options.maxFps ?? 60);
    this.maxBuffered = options.maxBufferedBytes ?? 512 * 1024;
    this.pollMs = options.pollMs ?? 4;
    this.threads = options.threads ?? 1;
    this.now = options.now ?? (() => performance.now());
    this.measureCpu = options.measureCpu ?? false;
    this.frame = desktop.frame();
    this.encoder = this.newEncoder(desktop.width, desktop.height);
    this.sender = new ScreenSender<Buffer>({
      // Only the frame offered right after its grab is encoded with that grab's rectangles; anything else
      // (a frame that waited for room, a repair) is compared whole.
      encode: (frame, o) => this.encoder.encode(frame, !o.keyframe && this.changedCount >= 0 ? { keyframe: false, changed: this.changed, changedCount: this.changedCount } : o),
      send: (bytes) => this.sink.sendRaw(bytes),
      hasRoom: () => this.sink.bufferedAmount <= this.maxBuffered,
    });
  }

  get width(): number {
    return this.desktop.width;
  }
  get height(): number {
    return this.desktop.height;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  /** Frames are being sent (start() until stop()). */
  get running(): boolean {
    return this.sending;
  }
  /** Number of the last frame sent (0: none yet). */
  get lastFrame(): number {
    return this.sender.frame;
  }

  /**
   * Starts waiting on the X connection without sending frames: X events are handled (the clipboard works, a
   * shared window that goes away is noticed) while `view` is not granted. start() calls it too. Nothing runs
   * on a timer then: the stream wakes when X has something to say (its connection turns readable).
   */
  run(): void {
    if (this.watching) return;
    this.watching = true;
    this.desktop.watch(this.onReadable);
    this.schedule(0);
  }

  /** Starts sending (with a keyframe: a viewer that was not watching has no picture). */
  start(): void {
    this.run();
    if (this.sending) return;
    this.sending = true;
    this.needKey = true;
    this.cursorShapeDue = true;
    this.schedule(0);
  }

  /** Stops sending (view revoked); polling goes on until close(). */
  stop(): void {
    this.sending = false;
  }

  /** Stops sending and polling (the session is over). The desktop stays open; its owner closes it. */
  close(): void {
    this.sending = false;
    if (this.watching) this.desktop.unwatch();
    this.watching = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Freezes the picture: viewers keep the last frame; nothing is captured or sent until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // What changed while paused waits in the desktop as damage: no new X event will announce it.
    this.schedule(0);
  }

  /**
   * Answers a repair request: the frame last sent again, as a keyframe with the same number. `frame` is that
   * frame between ticks (it changes only in a tick that also sends it), which is what ScreenSender keeps.
   */
  resync(): void {
    this.sender.resync();
    // Without room now it goes out when there is: the backpressure retry below looks again.
    this.schedule(0);
  }

  /**
   * Handles what X reported and sends a frame if one is due; public so tests and benchmarks can drive it.
   * The X connection's readiness calls it; so does the one timer it sets for what X will not announce: a
   * frame held back by the frame interval or by backpressure, the pointer position, events Xlib has already
   * read off the socket during a round trip.
   */
  tick(): void {
    let next: number | null;
    try {
      next = this.step();
      if (this.watching && this.desktop.queued()) next = 0;
    } catch (err) {
      // E_X11_WINDOW: the window went away between poll and grab; the next poll reports it as gone.
      if ((err as { code?: string }).code === 'E_X11_WINDOW') return this.schedule(this.pollMs);
      // Anything else (the X server went away, E_X11_CLOSED) ends capture, never the agent.
      this.close();
      this.emit('failed', err as Error);
      return;
    }
    if (next !== null && this.watching) this.schedule(next, true);
  }

  /**
   * Runs tick() in `ms` (or sooner, if it is already due sooner). `fromRound`: `ms` is what a round just
   * worked out from everything it knows, so a timer an earlier round set is moved to it, later too (that
   * deadline may have passed in the meantime: the pointer looked at early), rather than waking for nothing.
   * A timer asked for from outside a round (start, resume, resync) is never postponed.
   */
  private schedule(ms: number, fromRound = false): void {
    if (!this.watching) return;
    const at = this.now() + ms;
    if (this.timer && this.timerAt <= at && !(fromRound && this.timerFromRound)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timerFromRound = fromRound;
    this.timer = setTimeout(this.onTimer, Math.max(0, ms));
  }

  /** One closure for every timer the stream sets (none made per frame). */
  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    this.tick();
  };

  /** One round: returns in how many ms to look again without an X event (null: only on one). */
  private step(): number | null {
    const changes = this.desktop.poll();
    if (changes.clipboard !== null) this.emit('clipboard', changes.clipboard);
    if (changes.cursor) {
      this.cursorShapeDue = true;
      this.cursorStill = 0;
    }
    if (changes.gone) {
      if (!this.goneReported) {
        this.goneReported = true;
        this.emit('gone');
      }
      return null;
    }
    this.goneReported = false;
    if (this.paused || !this.sending) return null;
    const t0 = this.now();
    // The pointer is a round trip to X and moves without telling us (XFixes reports only its shape): look
    // once a frame interval while someone watches.
    // A pointer that has not moved for half a second is looked at every 100 ms until it moves again (measured:
    // a watched, still screen cost ~25 ms of CPU a second at 60 checks a second on this loaded machine).
    const cursorEvery = this.cursorStill > 30 ? Math.max(this.minIntervalMs, 100) : this.minIntervalMs;
    const cursorIn = this.lastCursorAt + cursorEvery - t0;
    // Up to half an interval early in a round that runs anyway (a frame, an X event): while frames flow the
    // pointer then never needs a wake-up of its own (measured: a round of its own cost ~0.2 ms of CPU on a
    // 1080p stream, the caches cold after the encoder, and came 0.4-0.9 times per frame sent).
    const cursorNow = cursorIn <= cursorEvery / 2;
    if (cursorNow) {
      this.lastCursorAt = t0;
      this.cursorStill = this.sendCursor() ? 0 : this.cursorStill + 1;
    }
    const next = cursorNow ? cursorEvery : cursorIn;
    // Newest frame wins: while the socket is backed up, leave the damage in the desktop to merge.
    if (this.sink.bufferedAmount > this.maxBuffered) return Math.min(next, this.pollMs);
    // A repair asked for while there was no room goes out first.
    this.sender.flush();
    const wanted = changes.damaged || changes.moved || this.needKey;
    const frameIn = this.lastSentAt + this.minIntervalMs - t0;
    if (frameIn > 0) return wanted ? Math.min(next, frameIn) : next;
    if (this.sink.bufferedAmount > this.maxBuffered) return Math.min(next, this.pollMs);
    if (changes.width !== this.encoder.width || changes.height !== this.encoder.height) this.resize(changes.width, changes.height);
    if (!changes.damaged && !changes.moved && !this.needKey) return next;
    const keyframe = this.needKey;
    const c0 = this.measureCpu ? process.cpuUsage() : null;
    let rects: number;
    try {
      rects = this.desktop.grab(this.frame, keyframe, this.changed);
    } catch (err) {
      this.compareAll = true;
      throw err;
    }
    if (rects === 0 && !keyframe) return next;
    const c1 = c0 ? process.cpuUsage() : null;
    if (keyframe) this.sender.requestKeyframe();
    this.needKey = false;
    const { bytes, keyframes } = this.sender.stats;
    // There is room (checked above), so the sender encodes and sends it now: nothing waits, nothing is replaced.
    this.changedCount = this.compareAll ? -1 : rects;
    this.compareAll = false;
    try {
      this.sender.offer(this.frame);
    } finally {
      this.changedCount = -1;
    }
    const cpu = c0 && c1 ? cpuSplit(c0, c1, process.cpuUsage()) : undefined;
    this.lastSentAt = this.now();
    this.emit('frame', { frame: this.sender.frame, keyframe: this.sender.stats.keyframes > keyframes, repair: false, bytes: this.sender.stats.bytes - bytes, ms: this.lastSentAt - t0, cpu });
    return next;
  }

  /** `opaque`: frame() holds X's pixels as the server wrote them, the fourth byte padding (no pass sets it). */
  private newEncoder(width: number, height: number): Encoder {
    return new (loadNative().Encoder)(width, height, { threads: this.threads, opaque: true });
  }

  private resize(width: number, height: number): void {
    this.frame = this.desktop.frame();
    this.encoder = this.newEncoder(width, height);
    this.needKey = true;
    this.emit('resized', { width, height });
  }

  /** Sends the shape when due and the position when it changed; returns whether the position was sent. */
  private sendCursor(): boolean {
    if (this.cursorShapeDue) {
      this.cursorShapeDue = false;
      const s = this.desktop.cursorShape();
      if (s && s.width <= MAX_CURSOR_EDGE && s.height <= MAX_CURSOR_EDGE) this.sendOnCursor(encodeCursor({ type: 'shape', ...s }));
    }
    const p = this.desktop.pointer();
    const key = `${p.x},${p.y},${p.visible}`;
    if (key === this.lastCursor) return false;
    this.lastCursor = key;
    this.sendOnCursor(encodeCursor({ type: 'position', ...p }));
    return true;
  }

  private sendOnCursor(payload: Uint8Array): void {
    const framed = new Uint8Array(payload.byteLength + 1);
    framed[0] = CURSOR_CHANNEL;
    framed.set(payload, 1);
    this.sink.sendRaw(framed);
  }
}

const cpuMsOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
function cpuSplit(before: NodeJS.CpuUsage, between: NodeJS.CpuUsage, after: NodeJS.CpuUsage): { captureMs: number; encodeMs: number } {
  return { captureMs: cpuMsOf(between) - cpuMsOf(before), encodeMs: cpuMsOf(after) - cpuMsOf(between) };
}
