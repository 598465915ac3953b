import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { LimitCrossings } from './limit-crossings.js';

describe('LimitCrossings', () => {
  it('logs and counts a crossing once per source and window, across gateways sharing a registry', async () => {
    let now = 1_800_000_000_000;
    const registry = new MemoryRegistry({ clock: () => now });
    const lines: string[] = [];
    const counted: string[] = [];
    const make = () =>
      new LimitCrossings({ registry, log: createLogger({ level: 'debug', write: (l) => lines.push(l) }), now: () => now, count: (l, s) => counted.push(`${l}/${s}`) });
    const [a, b] = [make(), make()];
    for (let i = 0; i < 100; i++) (i % 2 ? a : b).report('pin_guesses', 'address', '192.0.2.1', 60_000, { address: '192.0.2.1' });
    a.report('pin_guesses', 'address', '192.0.2.2', 60_000);
    a.report('pin_guesses', 'prefix', '192.0.2.0/24', 60_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(counted).toEqual(['pin_guesses/address', 'pin_guesses/address', 'pin_guesses/prefix']);
    // A new window: reported again.
    now += 60_001;
    a.report('pin_guesses', 'address', '192.0.2.1', 60_000);
    await new Promise((r) => setTimeout(r, 10));
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed');
    expect(events.map((e) => e.source)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.0/24', '192.0.2.1']);
    expect(events[0]).toMatchObject({ limit: 'pin_guesses', scope: 'address', address: '192.0.2.1', windowSeconds: 60 });
    await registry.close();
  });
});
