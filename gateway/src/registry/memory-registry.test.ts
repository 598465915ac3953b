import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from './memory-registry.js';
import { registryContract } from './registry.cases.js';

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { clock: () => now, advance: async (ms: number) => void (now += ms) };
}

registryContract('memory', async () => {
  const { clock, advance } = fakeClock();
  const registry = new MemoryRegistry({ clock });
  return { registry, clock, advance, cleanup: () => registry.close() };
});

describe('MemoryRegistry', () => {
  it('frees expired entries with the sweep even when nobody reads them', async () => {
    const { clock, advance } = fakeClock();
    const registry = new MemoryRegistry({ clock, sweepIntervalMs: 1000 });
    const now = clock();
    for (let i = 0; i < 10; i++) {
      await registry.createSession(
        { guid: `g${i}`, orgId: 'o', createdBy: 't', state: 'waiting', createdAt: now, expiresAt: now + 5000, updatedAt: now },
        () => String(100000 + i),
      );
    }
    await registry.putToken('tok', { technicianId: 't', orgId: 'o', epoch: 1, expiresAt: now + 5000 }, 5000);
    await registry.hit('c', 5000);
    await registry.touchSessions(['g0'], 20_000);

    await advance(6000);
    registry.sweep();
    expect(registry.size).toEqual({ sessions: 1, pins: 1, tokens: 0, counters: 0, waitingOrgs: 1 });
    await advance(15_000);
    registry.sweep();
    expect(registry.size).toEqual({ sessions: 0, pins: 0, tokens: 0, counters: 0, waitingOrgs: 0 });
    await registry.close();
  });

  it('holds 100k sessions and sweeps them without a timer each', async () => {
    const { clock, advance } = fakeClock();
    const registry = new MemoryRegistry({ clock });
    const now = clock();
    let pin = 0;
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      await registry.createSession(
        {
          guid: randomBytes(16).toString('hex'),
          orgId: `org-${i % 100}`,
          createdBy: 't',
          state: i % 2 ? 'waiting' : 'created',
          createdAt: now,
          expiresAt: now + 60_000 + (i % 1000) * 10,
          updatedAt: now,
        },
        () => String(pin++).padStart(6, '0'),
      );
    }
    expect(registry.size.sessions).toBe(100_000);
    expect((await registry.listWaiting('org-1')).length).toBe(1000); // odd i: waiting
    expect(await registry.listWaiting('org-2')).toEqual([]);
    await advance(61_000);
    registry.sweep();
    // Deadlines now+60s … now+70s in 10 ms steps: those at or before now+61s (i % 1000 <= 100) are gone.
    expect(registry.size.sessions).toBe(100_000 - 101 * 100);
    await advance(10_000);
    registry.sweep();
    expect(registry.size).toEqual({ sessions: 0, pins: 0, tokens: 0, counters: 0, waitingOrgs: 0 });
    // A bound against accidental O(n²) (e.g. a scan per insert), not a speed target.
    expect(performance.now() - started).toBeLessThan(10_000);
    await registry.close();
  });

  it('close() stops the ticker, is safe twice, and later calls fail as unavailable', async () => {
    const registry = new MemoryRegistry();
    const changes: boolean[] = [];
    registry.onReadyChange((ready) => changes.push(ready));
    await registry.close();
    await registry.close();
    expect(registry.isReady()).toBe(false);
    expect(changes).toEqual([false]);
    await expect(registry.getSession('x')).rejects.toMatchObject({ code: 'E_REGISTRY_UNAVAILABLE' });
  });
});
