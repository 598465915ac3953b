/**
 * Coarse expiry buckets: each key sits in the bucket of its deadline (rounded up to `slotMs`), so
 * scheduling, moving and cancelling are O(1) and a sweep touches only the buckets that are due.
 * One ticker sweeps every wheel; that is what lets the memory registry hold 100k sessions without
 * 100k timers (the undici timer-wheel habit). Callers still check deadlines exactly on read: the wheel
 * only frees memory, it never decides what a reader sees.
 */
export class ExpiryWheel<K> {
  private readonly slotMs: number;
  private readonly buckets = new Map<number, Set<K>>();
  private readonly slotOf = new Map<K, number>();
  /** Every slot below this one has been swept. */
  private nextSlot: number;

  constructor(slotMs: number, now: number) {
    this.slotMs = slotMs;
    this.nextSlot = Math.floor(now / slotMs);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Puts `key` in the bucket of `deadline`, moving it if it was elsewhere. */
  schedule(key: K, deadline: number): void {
    // Round up: a key is only handed to the sweeper once its whole slot has passed, never early.
    const slot = Math.max(Math.ceil(deadline / this.slotMs), this.nextSlot);
    const old = this.slotOf.get(key);
    if (old === slot) return;
    if (old !== undefined) this.removeFrom(old, key);
    let bucket = this.buckets.get(slot);
    if (!bucket) this.buckets.set(slot, (bucket = new Set()));
    bucket.add(key);
    this.slotOf.set(key, slot);
  }

  cancel(key: K): void {
    const old = this.slotOf.get(key);
    if (old === undefined) return;
    this.slotOf.delete(key);
    this.removeFrom(old, key);
  }

  /** Hands every key whose slot has fully passed to `expire` (which decides, by the exact deadline). */
  sweep(now: number, expire: (key: K) => void): void {
    const due = Math.floor(now / this.slotMs);
    if (due < this.nextSlot) return;
    // A fake clock can jump days ahead: walk the existing buckets instead of every empty slot between.
    const slots =
      due - this.nextSlot > this.buckets.size
        ? [...this.buckets.keys()].filter((s) => s <= due)
        : range(this.nextSlot, due);
    this.nextSlot = due + 1;
    for (const slot of slots) {
      const bucket = this.buckets.get(slot);
      if (!bucket) continue;
      this.buckets.delete(slot);
      for (const key of bucket) {
        this.slotOf.delete(key);
        expire(key);
      }
    }
  }

  private removeFrom(slot: number, key: K): void {
    const bucket = this.buckets.get(slot);
    if (!bucket) return;
    bucket.delete(key);
    if (bucket.size === 0) this.buckets.delete(slot);
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
