/**
 * Applies the technician's input (channel 0x02) to the desktop, only while the customer's `control` grant
 * stands here, whatever the gateway let through (a direct path does not pass the gateway). Bad input (an
 * unknown keysym, a position off the shared area, a malformed message) is reported and skipped; the events
 * after it still apply and the agent goes on.
 */
import { decodeInput, InputFormatError, type InputEvent } from '../../protocol/input-events.js';
import type { Desktop } from './desktop.js';

export interface InputRejection {
  code: string;
  message: string;
  event?: InputEvent;
}

export class InputHandler {
  /** Events applied and refused, for status and tests. */
  applied = 0;
  refused = 0;

  constructor(
    private readonly desktop: Desktop,
    private readonly allowed: () => boolean,
    private readonly onReject: (r: InputRejection) => void,
  ) {}

  /** One input message (payload after the channel byte). Returns how many events it applied. */
  handle(payload: Uint8Array): number {
    if (!this.allowed()) {
      this.refused++;
      this.onReject({ code: 'E_NOT_GRANTED', message: 'input refused: the customer has not granted control' });
      return 0;
    }
    let events: InputEvent[];
    try {
      events = decodeInput(payload);
    } catch (err) {
      if (!(err instanceof InputFormatError)) throw err;
      this.refused++;
      this.onReject({ code: err.code, message: err.message });
      return 0;
    }
    let n = 0;
    for (const e of events) {
      // Checked per event: a revoke handled between two messages must also stop the rest of a long paste.
      if (!this.allowed()) break;
      try {
        this.apply(e);
        n++;
      } catch (err) {
        const { code, message } = err as { code?: string; message: string };
        if (!code?.startsWith('E_X11_') || code === 'E_X11_INTERNAL') throw err;
        this.refused++;
        this.onReject({ code, message, event: e });
      }
    }
    this.applied += n;
    return n;
  }

  private apply(e: InputEvent): void {
    switch (e.type) {
      case 'move':
        return this.desktop.move(e.x, e.y);
      case 'button':
        return this.desktop.button(e.button, e.down);
      case 'wheel':
        return this.desktop.wheel(e.dx, e.dy);
      case 'key':
        return this.desktop.key(e.keysym, e.down);
      case 'releaseAll':
        return this.desktop.releaseAll();
    }
  }
}
