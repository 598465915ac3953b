import { GatewayError } from '../errors/gateway-error.js';

/**
 * Runs at most `max` tasks at once and queues up to `maxQueued` more; beyond that it refuses with
 * E_CAPACITY. Used around scrypt: it runs on libuv's 4-thread pool, which file reads and DNS share, so a
 * login flood from many addresses must not take every thread.
 */
export class ConcurrencyLimit {
  readonly #max: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];
  /** How many of the queue's first entries are urgent (they keep their own order). */
  #urgent = 0;

  constructor(max: number, maxQueued: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`ConcurrencyLimit: max must be a positive integer, got ${max}`);
    if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new Error(`ConcurrencyLimit: maxQueued must be an integer >= 0, got ${maxQueued}`);
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` when a slot is free. An `urgent` task waits at the head of the queue, before the others (a
   * technician logging in from a known address goes before a flood from unknown ones), and is never refused.
   */
  async run<T>(task: () => Promise<T>, urgent = false): Promise<T> {
    if (this.#running >= this.#max) {
      if (!urgent && this.#queue.length >= this.#maxQueued) throw new GatewayError('E_CAPACITY');
      await new Promise<void>((resolve) => (urgent ? this.#queue.splice(this.#urgent++, 0, resolve) : this.#queue.push(resolve)));
      // The finishing task handed its slot over to us (#running was not decremented).
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      // Urgent entries are the queue's head, so the one leaving is urgent while any are counted.
      if (next && this.#urgent > 0) this.#urgent--;
      if (next) next();
      else this.#running--;
    }
  }
}
