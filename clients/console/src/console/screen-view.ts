/**
 * The remote screen in a session tab: a canvas painted by the screen worker (OffscreenCanvas), the remote
 * cursor drawn over it, fit-to-window or 1:1 with scrolling, and, while control is granted, mouse, wheel
 * and keyboard sent as input events (protocol/input-events.ts).
 */
import { decodeCursor } from '../../../../protocol/cursor-events.js';
import { MAX_INPUT_EVENTS, encodeInput, typeText, type InputEvent } from '../../../../protocol/input-events.js';
import { h } from '../shared/dom.js';
import { keysymOf } from './keysyms.js';
import type { FromWorker, ToWorker } from './screen-protocol.js';

declare const __SCREEN_WORKER_URL__: string;

/** Longest paste typed at once (as key presses; the paste menu says so). */
const MAX_PASTE_CHARS = 16_000;

export interface ScreenViewEvents {
  /** An input event's payload for the input channel. */
  input(payload: Uint8Array): void;
  /** The picture is behind (a delta without its base) or a packet was bad. */
  trouble(text: string): void;
}

export class ScreenView {
  readonly element: HTMLElement;
  readonly viewport: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly cursor: HTMLCanvasElement;
  private readonly status: HTMLElement;
  private readonly worker: Worker;
  private width = 0;
  private height = 0;
  private mode: 'fit' | 'actual' = 'fit';
  private controlling = false;
  private paused = false;
  private readonly pressed = new Map<string, number>();
  private lastMove = 0;
  private pending = new Map<number, (msg: FromWorker) => void>();
  private nextId = 1;
  private cursorState = { x: 0, y: 0, visible: false };
  private hotspot = { x: 0, y: 0 };
  private cursorSerial = -1;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly events: ScreenViewEvents) {
    this.canvas = h('canvas', { class: 'screen-canvas', attrs: { 'aria-label': 'Customer screen' } });
    // The pointer is not in the frames (protocol/cursor-events.ts): drawn here, in its own shape when known.
    this.cursor = h('canvas', { class: 'remote-cursor arrow', attrs: { 'aria-hidden': 'true', hidden: true, width: 1, height: 1 } });
    this.status = h('p', { class: 'screen-status', attrs: { role: 'status' } }, 'No screen shared yet. Ask the customer for "view".');
    this.viewport = h(
      'div',
      {
        class: 'screen-viewport fit',
        attrs: { tabindex: 0, role: 'application', 'aria-roledescription': 'remote screen', 'aria-label': 'Customer screen. When control is on, keys go to the customer; Shift+Escape leaves.' },
      },
      h('div', { class: 'screen-stage' }, this.canvas, this.cursor),
    );
    this.element = h('div', { class: 'screen' }, this.status, this.viewport);
    this.worker = new Worker(__SCREEN_WORKER_URL__);
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.onWorker(ev.data);
    const offscreen = this.canvas.transferControlToOffscreen();
    this.post({ type: 'init', canvas: offscreen }, [offscreen]);
    this.bindInput();
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(this.viewport);
  }

  /** A screen message from the session (the buffer is handed to the worker, not copied). */
  frame(data: ArrayBuffer, offset: number, arrivedAt: number): void {
    this.post({ type: 'frame', data, offset, arrivedAt }, [data]);
  }

  cursorMessage(payload: Uint8Array): void {
    const c = decodeCursor(payload);
    if (!c) return;
    if (c.type === 'position') {
      this.cursorState = c;
    } else if (c.serial !== this.cursorSerial && c.width > 0 && c.height > 0) {
      this.cursorSerial = c.serial;
      this.hotspot = { x: c.hotX, y: c.hotY };
      this.cursor.width = c.width;
      this.cursor.height = c.height;
      // BGRA with premultiplied alpha (XFixes) → RGBA straight alpha (ImageData).
      const img = new ImageData(c.width, c.height);
      const d = img.data;
      for (let i = 0; i < d.length; i += 4) {
        const a = c.pixels[i + 3]!;
        const k = a === 0 ? 0 : 255 / a;
        d[i] = Math.min(255, Math.round(c.pixels[i + 2]! * k));
        d[i + 1] = Math.min(255, Math.round(c.pixels[i + 1]! * k));
        d[i + 2] = Math.min(255, Math.round(c.pixels[i]! * k));
        d[i + 3] = a;
      }
      this.cursor.getContext('2d')?.putImageData(img, 0, 0);
      this.cursor.classList.remove('arrow');
    }
    this.placeCursor();
  }

  /** The customer's share state: a paused share keeps the last picture, marked as paused. */
  setShare(state: 'live' | 'paused' | 'stopped'): void {
    this.paused = state !== 'live';
    this.viewport.classList.toggle('paused', this.paused);
    if (state === 'paused') this.status.textContent = 'The customer paused the screen share.';
    else if (state === 'stopped') this.status.textContent = 'The customer stopped sharing the screen.';
    else this.showLiveStatus();
  }

  setMode(mode: 'fit' | 'actual'): void {
    this.mode = mode;
    this.viewport.classList.toggle('fit', mode === 'fit');
    this.viewport.classList.toggle('actual', mode === 'actual');
    this.layout();
  }

  get currentMode(): 'fit' | 'actual' {
    return this.mode;
  }

  /** Input goes out only while this is on (the customer's grant and the technician's choice). */
  setControl(on: boolean): void {
    // Control taken away: nothing more may be sent, not even the key releases (the customer's side lets go).
    if (!on) this.pressed.clear();
    this.controlling = on;
    this.viewport.classList.toggle('controlling', on);
  }

  /** Sends a key combination pressed and released in order (the special-keys menu). */
  sendCombo(keys: number[]): void {
    if (!this.controlling) return;
    this.send(...keys.map((keysym): InputEvent => ({ type: 'key', keysym, down: true })), ...[...keys].reverse().map((keysym): InputEvent => ({ type: 'key', keysym, down: false })));
  }

  /** Types `text` on the customer's machine as key presses (their keymap decides the keys), in bounded messages. */
  sendText(text: string): void {
    if (!this.controlling || !text) return;
    const events = typeText(text.slice(0, MAX_PASTE_CHARS));
    for (let i = 0; i < events.length; i += MAX_INPUT_EVENTS) this.events.input(encodeInput(events.slice(i, i + MAX_INPUT_EVENTS)));
  }

  /** The canvas pixels (RGBA) as painted: for tests and the benchmark. */
  snapshot(): Promise<{ width: number; height: number; rgba: ArrayBuffer | null }> {
    return this.ask({ type: 'snapshot', id: 0 }) as Promise<{ width: number; height: number; rgba: ArrayBuffer | null }>;
  }

  stats(reset = false): Promise<FromWorker & { type: 'stats' }> {
    return this.ask({ type: 'stats', id: 0, reset }) as Promise<FromWorker & { type: 'stats' }>;
  }

  dispose(): void {
    this.setControl(false);
    this.resizeObserver.disconnect();
    this.worker.terminate();
  }

  private ask(msg: Extract<ToWorker, { id: number }>): Promise<FromWorker> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post({ ...msg, id });
    });
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private onWorker(msg: FromWorker): void {
    switch (msg.type) {
      case 'size':
        this.width = msg.width;
        this.height = msg.height;
        this.viewport.dataset.size = `${msg.width}x${msg.height}`;
        this.showLiveStatus();
        this.layout();
        return;
      case 'painted':
        this.viewport.dataset.frame = String(msg.frame);
        return;
      case 'lost':
        this.events.trouble('The picture is catching up (a screen update was lost).');
        return;
      case 'error':
        this.events.trouble(`A screen update could not be shown (${msg.code}).`);
        return;
      case 'snapshot':
      case 'stats': {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.(msg);
        return;
      }
    }
  }

  private showLiveStatus(): void {
    if (this.paused) return;
    this.status.textContent = this.width ? `Screen ${this.width} × ${this.height}, ${this.mode === 'fit' ? 'fitted to the window' : 'actual size'}.` : 'Waiting for the first picture…';
  }

  /** CSS size of the canvas: fitted into the viewport (never enlarged), or 1:1 (the viewport scrolls). */
  private layout(): void {
    if (!this.width) return;
    let scale = 1;
    if (this.mode === 'fit') {
      const box = this.viewport.getBoundingClientRect();
      scale = Math.min(1, box.width / this.width, Math.max(box.height, 200) / this.height);
    }
    this.canvas.style.width = `${Math.floor(this.width * scale)}px`;
    this.canvas.style.height = `${Math.floor(this.height * scale)}px`;
    this.showLiveStatus();
    this.placeCursor();
  }

  private placeCursor(): void {
    const c = this.cursorState;
    this.cursor.hidden = !c.visible || !this.width;
    if (this.cursor.hidden) return;
    const scale = this.canvas.getBoundingClientRect().width / this.width || 1;
    if (this.cursorSerial >= 0) {
      this.cursor.style.width = `${this.cursor.width * scale}px`;
      this.cursor.style.height = `${this.cursor.height * scale}px`;
    }
    this.cursor.style.transform = `translate(${(c.x - this.hotspot.x) * scale}px, ${(c.y - this.hotspot.y) * scale}px)`;
  }

  /** Client coordinates → remote screen pixels. */
  private toRemote(ev: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) / r.width) * this.width;
    const y = ((ev.clientY - r.top) / r.height) * this.height;
    return { x: Math.max(0, Math.min(this.width - 1, x)), y: Math.max(0, Math.min(this.height - 1, y)) };
  }

  /** Several events go in one message when they belong together (a move and the click at its end). */
  private send(...events: InputEvent[]): void {
    this.events.input(encodeInput(events));
  }

  private bindInput(): void {
    const c = this.canvas;
    // X numbers buttons 1 left, 2 middle, 3 right, 8 back, 9 forward; the DOM 0, 1, 2, 3, 4.
    const xButton = (b: number) => [1, 2, 3, 8, 9][b] ?? 1;
    c.addEventListener('pointermove', (ev) => {
      if (!this.controlling || !this.width) return;
      // At most one move per animation frame's worth of time: the input channel is reliable, not a firehose.
      if (ev.timeStamp - this.lastMove < 16) return;
      this.lastMove = ev.timeStamp;
      this.send({ type: 'move', ...this.toRemote(ev) });
    });
    c.addEventListener('pointerdown', (ev) => {
      this.viewport.focus();
      if (!this.controlling || !this.width) return;
      ev.preventDefault();
      c.setPointerCapture(ev.pointerId);
      this.send({ type: 'move', ...this.toRemote(ev) }, { type: 'button', button: xButton(ev.button), down: true });
    });
    c.addEventListener('pointerup', (ev) => {
      if (!this.controlling || !this.width) return;
      ev.preventDefault();
      this.send({ type: 'move', ...this.toRemote(ev) }, { type: 'button', button: xButton(ev.button), down: false });
    });
    c.addEventListener('contextmenu', (ev) => this.controlling && ev.preventDefault());
    c.addEventListener(
      'wheel',
      (ev) => {
        if (!this.controlling) return;
        ev.preventDefault();
        // One notch per 100 px of pixel-mode delta (a mouse wheel click), at least one per event.
        const unit = ev.deltaMode === 1 ? 1 / 3 : ev.deltaMode === 2 ? 1 : 1 / 100;
        const dy = ev.deltaY === 0 ? 0 : Math.sign(ev.deltaY) * Math.max(1, Math.round(Math.abs(ev.deltaY) * unit));
        const dx = ev.deltaX === 0 ? 0 : Math.sign(ev.deltaX) * Math.max(1, Math.round(Math.abs(ev.deltaX) * unit));
        if (dx || dy) this.send({ type: 'wheel', dx, dy });
      },
      { passive: false },
    );
    this.viewport.addEventListener('keydown', (ev) => {
      if (!this.controlling) return;
      // The way out for keyboard-only use: Shift+Escape is never sent; it moves focus to the toolbar.
      if (ev.key === 'Escape' && ev.shiftKey) {
        this.releaseAll();
        (this.element.closest('.session')?.querySelector('.screen-toolbar button') as HTMLElement | null)?.focus();
        ev.preventDefault();
        return;
      }
      const keysym = keysymOf(ev.key, ev.code);
      ev.preventDefault();
      if (keysym === null) return;
      // The same keysym goes out on release, even if a modifier changed in between (Shift+a, release Shift, release a).
      if (!ev.repeat) this.pressed.set(ev.code, keysym);
      this.send({ type: 'key', keysym, down: true });
    });
    this.viewport.addEventListener('keyup', (ev) => {
      if (!this.controlling) return;
      ev.preventDefault();
      const keysym = this.pressed.get(ev.code) ?? keysymOf(ev.key, ev.code);
      this.pressed.delete(ev.code);
      if (keysym !== null) this.send({ type: 'key', keysym, down: false });
    });
    // Keys held when focus leaves would stay down on the customer's machine.
    this.viewport.addEventListener('blur', () => this.releaseAll());
  }

  private releaseAll(): void {
    if (this.controlling && this.pressed.size > 0) this.send({ type: 'releaseAll' });
    this.pressed.clear();
  }
}
