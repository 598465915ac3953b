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

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      if (this.#queue.length >= this.#maxQueued) throw new GatewayError('E_CAPACITY');
      await new Promise<void>((resolve) => this.#queue.push(resolve));
      // The finishing task handed its slot over to us (#running was not decremented).
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
