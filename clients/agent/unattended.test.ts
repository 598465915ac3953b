import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../gateway/test/e2e/events.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/gateway-harness.js';
import { identityStores } from '../../gateway/test/identity/identity-fixture.js';
import { CustomerAgent } from './customer-agent.js';

let gw: TestGateway;
let stores: Awaited<ReturnType<typeof identityStores>>;
const pw: Record<string, string> = {};
const dir = mkdtempSync(join(tmpdir(), 'relaydesk-unattended-'));

beforeAll(async () => {
  gw = await startTestGateway();
  stores = await identityStores(gw);
  pw.day = await stores.addAccount('day', 'attended-only', 'technician');
  pw.night = await stores.addAccount('night', 'lights-out', 'technician');
  await stores.org('lights-out', (o) => void (o.policy = { unattendedAccess: true, recording: 'on-request' }));
});
afterAll(async () => {
  await stores?.close();
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the agent with --unattended', () => {
  it('is refused by an organisation that does not allow unattended access (the default), with the reason', async () => {
    const tc = gw.client();
    await tc.login('day', pw.day!);
    const s = await tc.createSession();
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, gw.gateway.caPem!);
    const env = { ...process.env };
    delete env.DISPLAY; // no desktop: the join is what is tested
    const cli = spawn('npx', ['tsx', 'clients/agent/agent.ts', '--pin', s.pin, '--gateway', gw.baseUrl, '--ca', caFile, '--unattended'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let err = '';
    cli.stderr.on('data', (b) => (err += b));
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/cannot join: E_FORBIDDEN .*unattended access/);
  });

  it('where allowed: the technician is told, only --allow powers are granted, no request waits for an answer (recording included)', async () => {
    const tc = gw.client();
    await tc.login('night', pw.night!);
    const s = await tc.createSession();
    const conn = await gw.client().joinSession({ pin: s.pin }, 'Build server', { unattended: true });
    const agent = new CustomerAgent(conn, null, { kind: 'monitor', label: 'nothing', allow: ['clipboard'], unattended: true });
    const notices: string[] = [];
    const prompts: unknown[] = [];
    agent.on('notice', (n) => notices.push(n));
    agent.on('prompt', (p) => prompts.push(p));
    agent.on('recordingPrompt', (p) => prompts.push(p));
    const tech = await tc.pickUp(s.guid);
    expect(tech.unattended).toBe(true);
    expect(await eventually(() => tech.grants.includes('clipboard'))).toBe(true);

    tech.request('control');
    expect(await eventually(() => notices.some((n) => n.includes('"control": refused (unattended')))).toBe(true);
    const refused = new Promise((resolve) => tech.on('recording', (e) => e.state === 'refused' && resolve(e)));
    tech.recordingAction('request');
    expect(await refused).toMatchObject({ state: 'refused' });
    expect(prompts).toEqual([]);
    expect(tech.grants).toEqual(['clipboard']);
    agent.end();
    agent.close();
  });
});
