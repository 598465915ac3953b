import type { Writer } from '../delivery/writer.js';

/**
 * What the router knows about one viewer's picture. Owned by ScreenRouter (only it writes these fields).
 *
 * The invariant the module exists for: a viewer is sent a delta only when `has` is that delta's base, i.e.
 * every frame before it was accepted by the viewer's writer. Once that fails (a drop, a late join, a move
 * between gateways) the viewer is `waiting` and gets nothing but a repair.
 */
export class ScreenViewer {
  /** The frame the viewer's picture will show once its queue drains; 0 = no picture. */
  has = 0;
  /**
   * The session decoder's generation matching `has`, and which decoder that was (a decoder dropped and
   * made again counts generations from 0). -1 = unknown: repair with a keyframe.
   */
  generation = -1;
  decoderEpoch = 0;
  /** Lost its picture: no delta until a repair. */
  waiting = true;
  /**
   * When the router first saw it waiting with room for a repair (ms, the router's clock); -1 = not yet.
   * Repair time is measured from here: the time its queue took to drain is the viewer's, not the repair's.
   */
  readySince = -1;

  constructor(
    readonly id: string,
    readonly writer: Writer,
  ) {}

  /** A write that did not arrive: nothing after it may be sent until a repair. */
  lose(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.readySince = -1;
  }

  /** Its picture is unknown (moved between gateways, or told so by the core): only a keyframe helps. */
  forget(): void {
    this.lose();
    this.has = 0;
    this.generation = -1;
  }

  /** Its writer accepted `frame`, which is the session decoder's `generation` (-1 without a decoder in sync). */
  got(frame: number, generation: number, decoderEpoch: number): void {
    this.has = frame;
    this.generation = generation;
    this.decoderEpoch = decoderEpoch;
    this.waiting = false;
    this.readySince = -1;
  }
}
