/**
 * The customer's screen share from a browser page: getDisplayMedia, a capture loop that sends a picture
 * only when the previous one is on its way (no queue builds up), and the TypeScript encoder in a worker.
 * Frames go out with the screen header (protocol/screen-header.ts), numbered 1, 2, 3…
 */
import { encodeScreenFrame } from '../../../../protocol/screen-header.js';
import type { FromShareWorker, ToShareWorker } from './share-protocol.js';

declare const __SHARE_WORKER_URL__: string;

/** Pictures per second at most; screens change in bursts, and unchanged pictures cost 20 bytes. */
const MAX_FPS = 10;
/** Past this many bytes waiting in the WebSocket, capture waits (a slow uplink sets the pace). */
const MAX_BUFFERED = 1 << 20;

export interface ShareEvents {
  /** A whole screen message, ready for the session's sendRaw. */
  frame(message: Uint8Array): void;
  /** Bytes queued on the connection now. */
  buffered(): number;
  /** The share state changed (also when the person stops it from the browser's own UI). */
  state(state: 'live' | 'paused' | 'stopped', info: { kind: 'monitor' | 'window'; width: number; height: number }): void;
}

export class ScreenShare {
  private stream: MediaStream | null = null;
  private readonly video: HTMLVideoElement;
  private readonly worker: Worker;
  /** Frames sent so far (the last one's number). */
  frameNo = 0;
  private wantKeyframe = true;
  private paused = false;
  private stopped = false;
  private inFlight = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private width = 0;
  private height = 0;
  private hashWaiters: ((h: { sha256: string | null; width: number; height: number }) => void)[] = [];
  /** Measured in the worker, for the page's own figures and bench/console. */
  readonly encodeMs: number[] = [];
  bytesSent = 0;

  constructor(
    private readonly events: ShareEvents,
    preview: HTMLVideoElement,
  ) {
    this.video = preview;
    this.worker = new Worker(__SHARE_WORKER_URL__);
    this.worker.onmessage = (ev: MessageEvent<FromShareWorker>) => this.onWorker(ev.data);
  }

  /** Asks the browser for a screen or window (needs the click that started it). */
  async start(): Promise<void> {
    this.stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: MAX_FPS }, audio: false });
    const track = this.stream.getVideoTracks()[0]!;
    track.addEventListener('ended', () => this.stop());
    this.video.srcObject = this.stream;
    this.video.muted = true;
    await this.video.play();
    this.schedule(0);
  }

  get kind(): 'monitor' | 'window' {
    const surface = (this.stream?.getVideoTracks()[0]?.getSettings() as { displaySurface?: string } | undefined)?.displaySurface;
    return surface === 'monitor' ? 'monitor' : 'window';
  }

  /** The technician lost the picture (or a new one joined): the next frame is a keyframe. */
  resync(): void {
    this.wantKeyframe = true;
  }

  pause(on: boolean): void {
    if (this.stopped) return;
    this.paused = on;
    this.events.state(on ? 'paused' : 'live', this.info());
    if (!on) this.schedule(0);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.video.srcObject = null;
    this.worker.terminate();
    this.events.state('stopped', this.info());
  }

  /** SHA-256 of the last frame sent (BGRA), for tests. */
  lastFrameHash(): Promise<{ sha256: string | null; width: number; height: number }> {
    return new Promise((resolve) => {
      this.hashWaiters.push(resolve);
      this.post({ type: 'hash' });
    });
  }

  private info() {
    return { kind: this.kind, width: this.width, height: this.height };
  }

  private post(msg: ToShareWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.capture(), ms);
  }

  private async capture(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.paused || this.inFlight) return;
    if (this.events.buffered() > MAX_BUFFERED || this.video.videoWidth === 0) return this.schedule(50);
    this.inFlight = true;
    try {
      const bitmap = await createImageBitmap(this.video);
      const keyframe = this.wantKeyframe;
      this.wantKeyframe = false;
      this.post({ type: 'frame', bitmap, keyframe }, [bitmap]);
    } catch {
      this.inFlight = false;
      this.schedule(100);
    }
  }

  private onWorker(msg: FromShareWorker): void {
    if (msg.type === 'hash') {
      for (const w of this.hashWaiters.splice(0)) w(msg);
      return;
    }
    this.inFlight = false;
    if (msg.type === 'error') return this.schedule(500);
    const packet = new Uint8Array(msg.packet);
    const keyframe = (packet[4]! & 1) === 1;
    const resized = msg.width !== this.width || msg.height !== this.height;
    this.width = msg.width;
    this.height = msg.height;
    if (resized) this.events.state('live', this.info());
    this.frameNo++;
    const message = encodeScreenFrame({ keyframe, repair: false, frame: this.frameNo }, packet);
    this.events.frame(message);
    this.bytesSent += message.byteLength;
    if (this.encodeMs.length >= 1000) this.encodeMs.shift();
    this.encodeMs.push(msg.encodeMs);
    if (!this.stopped && !this.paused) this.schedule(1000 / MAX_FPS);
  }
}
