import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyLimit', () => {
  it('runs at most max tasks at once and starts queued ones in order', async () => {
    const limit = new ConcurrencyLimit(2, 10);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limit.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limit.queued).toBe(1);
    gates[0]!.resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(limit.running).toBe(2);
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(limit.running).toBe(0);
  });

  it('refuses with E_CAPACITY when the queue is full', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    const gate = deferred();
    const a = limit.run(() => gate.promise);
    const b = limit.run(async () => {});
    await expect(limit.run(async () => {})).rejects.toMatchObject({ code: 'E_CAPACITY' });
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('starts urgent tasks before queued ones (in their own order), even past a full queue', async () => {
    const limit = new ConcurrencyLimit(1, 2);
    const gate = deferred();
    const order: string[] = [];
    const task = (name: string) => async () => void order.push(name);
    const first = limit.run(() => gate.promise);
    const queued = [limit.run(task('flood1')), limit.run(task('flood2'))];
    await expect(limit.run(task('flood3'))).rejects.toMatchObject({ code: 'E_CAPACITY' });
    const urgent = [limit.run(task('known1'), true), limit.run(task('known2'), true)];
    gate.resolve();
    await Promise.all([first, ...queued, ...urgent]);
    expect(order).toEqual(['known1', 'known2', 'flood1', 'flood2']);
    expect([limit.running, limit.queued]).toEqual([0, 0]);
  });

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1, 0);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'ok')).resolves.toBe('ok');
  });
});
