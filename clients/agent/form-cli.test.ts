import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../gateway/test/e2e/events.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/gateway-harness.js';
import { identityStores } from '../../gateway/test/identity/identity-fixture.js';
import type { RelaydeskClient } from '../sdk/src/node.js';

let gw: TestGateway;
let tech: RelaydeskClient;
let caFile: string;

beforeAll(async () => {
  gw = await startTestGateway();
  const stores = await identityStores(gw);
  const pw = await stores.addAccount('fred', 'forms', 'technician');
  await stores.org('forms', (o) => {
    o.preSessionForm = [{ key: 'order', label: 'Order number', required: true, maxLength: 12 }];
  });
  await stores.close();
  caFile = join(gw.dataDir, 'ca-for-agent.crt');
  writeFileSync(caFile, gw.gateway.caPem!);
  tech = gw.client();
  await tech.login('fred', pw);
});
afterAll(() => gw?.stop());

/** The agent CLI without any X display (chat only), to the end or until `until` is seen in its output. */
function agent(args: string[]) {
  const env = { ...process.env };
  delete env.DISPLAY;
  const cli = spawn('npx', ['tsx', 'clients/agent/agent.ts', '--gateway', gw.baseUrl, '--ca', caFile, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const out = { stdout: '', stderr: '', code: null as number | null };
  cli.stdout.on('data', (b) => (out.stdout += b));
  cli.stderr.on('data', (b) => (out.stderr += b));
  cli.on('exit', (code) => (out.code = code));
  return { cli, out };
}

describe('agent --field (pre-session form)', () => {
  it('without the answers the organisation needs, prints its questions and exits 1; with them, joins and the queue shows them', async () => {
    const s = await tech.createSession();
    const refused = agent(['--pin', s.pin, '--name', 'Pat']);
    expect(await eventually(() => refused.out.code !== null, 20_000)).toBe(true);
    expect(refused.out.code).toBe(1);
    expect(refused.out.stderr).toContain('E_FORM_INVALID');
    expect(refused.out.stderr).toMatch(/--field order=…\s+Order number \(required\), at most 12 characters/);

    const joined = agent(['--pin', s.pin, '--name', 'Pat', '--field', 'order=A-1234']);
    try {
      expect(await eventually(() => joined.out.stdout.includes('joined; waiting'), 20_000)).toBe(true);
      expect((await tech.listWaiting()).find((w) => w.guid === s.guid)?.form).toEqual([{ key: 'order', label: 'Order number', value: 'A-1234' }]);
    } finally {
      joined.cli.kill();
    }
  }, 60_000);
});
