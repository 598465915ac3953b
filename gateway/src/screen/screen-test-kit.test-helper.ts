/**
 * Test parts for the screen module: a real agent (native Encoder behind the SDK's ScreenSender) replaying
 * a recording from native/testdata, and viewers behind a Writer whose queue the test controls, each reading
 * into the SDK's ScreenReceiver with a real Decoder.
 */
import { join } from 'node:path';
import { loadFrames } from '../../../bench/codec/frames.js';
import { ScreenReceiver } from '../../../clients/sdk/src/screen/screen-receiver.js';
import { ScreenSender } from '../../../clients/sdk/src/screen/screen-sender.js';
import { readScreenHeader } from '../../../protocol/screen-header.js';
import type { DeliveryClass } from '../../../protocol/channels.js';
import type { Writer, WriteOutcome } from '../delivery/writer.js';
import { loadNativeCodec, type NativeDecoder } from './native-codec.js';

export const codec = loadNativeCodec();

export interface Clip {
  width: number;
  height: number;
  /** The recording forwards then backwards (ping-pong), so a test can run past its 16 frames on real content. */
  frameAt(i: number): Buffer;
}

export function loadClip(name: 'term-vim' | 'web-cargo' | 'desk-drag'): Clip {
  const { width, height, frames } = loadFrames(join(import.meta.dirname, '..', '..', '..', 'native', 'testdata', `${name}-clip.mkv`));
  const period = 2 * frames.length - 2;
  return { width, height, frameAt: (i) => frames[i % period < frames.length ? i % period : period - (i % period)]! };
}

/**
 * The customer: encodes frame i of the clip on offer; `resync()` from the router is only noted, and answered
 * by `answer()`, the way it would arrive over the network after the frame being routed.
 */
export class FakeAgent {
  readonly encoder;
  readonly sender: ScreenSender<Buffer>;
  /** A Decoder fed every frame the agent sent: the picture every viewer must end with. */
  readonly truth: NativeDecoder;
  resyncs = 0;
  private asked = false;
  private next = 0;

  constructor(
    readonly clip: Clip,
    route: (bytes: Uint8Array) => void,
  ) {
    this.encoder = new codec.Encoder(clip.width, clip.height);
    this.truth = new codec.Decoder(clip.width, clip.height);
    this.sender = new ScreenSender<Buffer>({
      encode: (frame, o) => this.encoder.encode(frame, o),
      hasRoom: () => true,
      send: (bytes) => {
        if (!readScreenHeader(bytes)!.repair) this.truth.decode(bytes.subarray(10));
        route(bytes);
      },
    });
  }

  /** What the router's requestKeyframe does: the request travels to the agent. */
  readonly requestKeyframe = (): void => {
    this.resyncs++;
    this.asked = true;
  };

  /** Delivers an outstanding request to the agent (which answers with its repair keyframe). */
  answer(): boolean {
    if (!this.asked) return false;
    this.asked = false;
    this.sender.resync();
    return true;
  }

  /** Captures and sends the next frame of the clip. */
  sendFrame(): void {
    this.sender.offer(this.clip.frameAt(this.next++));
  }

  /** The frame the agent last sent, as captured. */
  get lastCaptured(): Buffer {
    return this.clip.frameAt(this.next - 1);
  }
}

/**
 * A viewer's connection with a queue the test controls: writes queue until read(). With `enforceBudget`,
 * it drops media past the budget as the real writers do (Writer contract); without, it queues everything,
 * so only the router can keep the queue bounded.
 */
export class FakeViewer implements Writer {
  private queue: Uint8Array[] = [];
  queuedBytes = 0;
  maxQueuedBytes = 0;
  largestWrite = 0;
  open = true;
  /** Text (control) messages it was handed: notices such as E_SCREEN_REPAIR. */
  readonly notices: string[] = [];
  /** Every frame this viewer was ever handed, in order (header of each). */
  readonly log: { keyframe: boolean; repair: boolean; frame: number; base: number }[] = [];
  readonly receiver = new ScreenReceiver<NativeDecoder>({ createDecoder: (w, h) => new codec.Decoder(w, h) });

  constructor(private readonly budget?: number) {}

  write(data: Uint8Array | string, _isBinary: boolean, cls: DeliveryClass): WriteOutcome {
    if (!this.open) return 'dropped';
    if (typeof data === 'string') {
      this.notices.push(data);
      return 'sent';
    }
    if (cls === 'media' && this.budget !== undefined && this.queuedBytes > this.budget) return 'dropped';
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
    this.maxQueuedBytes = Math.max(this.maxQueuedBytes, this.queuedBytes);
    this.largestWrite = Math.max(this.largestWrite, bytes.byteLength);
    this.log.push(readScreenHeader(bytes)!);
    return this.queue.length === 1 ? 'sent' : 'queued';
  }

  /** The viewer reads everything queued (its decoder applies what the receiver accepts). */
  read(): void {
    for (const bytes of this.queue) this.receiver.receive(bytes);
    this.queue = [];
    this.queuedBytes = 0;
  }

  picture(): Buffer | undefined {
    return this.receiver.decoder?.frame();
  }
}
