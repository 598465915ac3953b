import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.stop());

describe('GET /metrics', () => {
  it('passes `promtool check metrics` (the Prometheus naming and format lint) after a session', async () => {
    // One whole session and one refused login first, so the histograms and the labelled counters have series.
    const password = await t.addTechnician('pat', 'acme');
    const tech = t.client();
    expect(await tech.login('pat', 'wrong-password').catch(() => 'refused')).toBe('refused');
    await tech.login('pat', password);
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Quinn');
    const active = customer.waitFor('active');
    const technician = await tech.pickUp(s.guid);
    await active;
    const closed = technician.closedPromise();
    customer.end();
    await closed;

    const res = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/relaydesk_pickup_seconds_count\{[^}]*\} 1/);
    expect(text).toContain('relaydesk_nodejs_active_handles{');

    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (lint.error) throw new Error(`promtool is missing: install the Debian package "prometheus" (${lint.error.message})`);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
