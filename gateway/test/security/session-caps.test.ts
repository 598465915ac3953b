// Caps on open sessions per technician and per organisation, through the real HTTP API (issue 13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelaydeskClient } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let t: TestGateway;
let ada: RelaydeskClient;
let bob: RelaydeskClient;

beforeAll(async () => {
  t = await startTestGateway({ maxSessionsPerTechnician: '5', maxSessionsPerOrg: '8' });
  const [pa, pb] = await Promise.all([t.addTechnician('ada', 'acme'), t.addTechnician('bob', 'acme')]);
  ada = t.client();
  bob = t.client();
  await Promise.all([ada.login('ada', pa), bob.login('bob', pb)]);
});
afterAll(() => t?.stop());

const outcome = (p: Promise<{ guid: string }>) => p.then((s) => s.guid, (err: { code?: string }) => err.code ?? String(err));

describe('live-session caps', () => {
  it('30 simultaneous creates by one technician: exactly the cap succeed, the rest answer E_SESSION_LIMIT; ending one frees a slot', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => outcome(ada.createSession())));
    const created = results.filter((r) => /^[0-9a-f]{32}$/.test(r));
    expect(created).toHaveLength(5);
    expect(results.filter((r) => r === 'E_SESSION_LIMIT')).toHaveLength(25);
    await ada.revokeSession(created[0]!);
    expect(await outcome(ada.createSession())).toMatch(/^[0-9a-f]{32}$/);
    expect(await outcome(ada.createSession())).toBe('E_SESSION_LIMIT');
  });

  it('the organisation cap holds across its technicians', async () => {
    // ada holds 5 of acme's 8.
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(bob.createSession())));
    expect(results.filter((r) => /^[0-9a-f]{32}$/.test(r))).toHaveLength(3);
    expect(results.filter((r) => r === 'E_SESSION_LIMIT')).toHaveLength(7);
    await new Promise((r) => setTimeout(r, 100));
    const crossed = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed' && l.limit === 'live_sessions');
    expect(crossed.map((l) => l.scope).sort()).toEqual(['organisation', 'technician']);
  });
});
