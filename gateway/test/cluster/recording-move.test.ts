import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskClient, nodeTransport } from '../../../clients/sdk/src/node.js';
import { createCa } from '../../src/pki/certificate-authority.js';
import { loadOrCreateCa } from '../../src/pki/certificate-files.js';
import { issueCertificate } from '../../src/pki/issue-certificate.js';
import { readRecording } from '../../src/recording/recording-reader.js';
import { eventually, nextEvent } from '../e2e/events.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { identityStores } from '../identity/identity-fixture.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';

let redis: RedisServer;
let dir: string;
let caPem: string;
let a: TestGateway;
let b: TestGateway;
let password: string;

/** Two gateways in one process on one Redis, with one client-facing CA, so a client fails over between them. */
beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'relaydesk-rec-cluster-'));
  const ca = await createCa('test client-facing CA', 30);
  const leaf = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server', validityDays: 30 });
  await writeFile(join(dir, 'gw.crt'), leaf.certPem);
  await writeFile(join(dir, 'gw.key'), leaf.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'ca.crt'), ca.certPem);
  caPem = ca.certPem;
  await loadOrCreateCa({ dir: join(dir, 'cluster-ca'), name: 'cluster-ca', commonName: 'test cluster CA', validityDays: 30 });
  const options = (id: string) => ({
    registry: 'redis',
    redisUrl: redis.url,
    gatewayId: id,
    clusterDir: join(dir, 'cluster-ca'),
    tlsCert: join(dir, 'gw.crt'),
    tlsKey: join(dir, 'gw.key'),
    tlsCa: join(dir, 'ca.crt'),
  });
  a = await startTestGateway(options('gw-rec-a'));
  b = await startTestGateway(options('gw-rec-b'));
  const stores = await identityStores(a);
  password = await stores.addAccount('rex', 'records-all', 'technician');
  await stores.org('records-all', (o) => void (o.policy = { recording: 'always' }));
  await stores.close();
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const client = (first: TestGateway, other: TestGateway) =>
  new RelaydeskClient(nodeTransport({ baseUrl: first.baseUrl, ca: caPem, failover: [other.baseUrl] }), { reconnect: { baseDelayMs: 50, maxDelayMs: 500 } });

describe('a recorded session that moves to another gateway', () => {
  it('records on there: the first gateway ends its segment when it drains, the one that takes over starts the next', async () => {
    const techClient = client(b, a);
    await techClient.login('rex', password);
    const s = await techClient.createSession();
    const customer = await client(a, b).joinSession({ pin: s.pin }, 'Moving customer');
    const tech = await techClient.pickUp(s.guid); // on B; the session runs on A (the customer's gateway)
    await customer.waitFor('active');
    expect(await eventually(() => customer.participants.some((p) => p.role === 'system') && tech.recording)).toBe(true);
    customer.chat('before the move');

    const resumed = Promise.all([nextEvent(customer, 'resumed'), nextEvent(tech, 'resumed')]);
    await a.gateway.stop(3000);
    await resumed;
    // B took the session over and its recorder records on: still in the list, a new segment in B's folder.
    const fileOnB = join(b.dataDir, 'recordings', `${s.guid}.rdrec`);
    expect(await eventually(async () => (await readFile(fileOnB).catch(() => null)) !== null, 5000)).toBe(true);
    expect(customer.participants.filter((p) => p.role === 'system')).toHaveLength(1);
    const heard = nextEvent(tech, 'chat');
    customer.chat('after the move');
    await heard;
    customer.end();
    await customer.waitFor('closed');

    const onA = readRecording(await readFile(join(a.dataDir, 'recordings', `${s.guid}.rdrec`)));
    expect(onA.segments.map((g) => g.gateway)).toEqual(['gw-rec-a']);
    expect(onA.entries.some((e) => e.json?.text === 'before the move')).toBe(true);
    expect(onA.entries.at(-1)?.json).toMatchObject({ reason: 'gateway_shutdown' });
    expect(await eventually(async () => readRecording(await readFile(fileOnB)).entries.at(-1)?.kind === 'stop', 5000)).toBe(true);
    const onB = readRecording(await readFile(fileOnB));
    expect(onB.segments).toEqual([expect.objectContaining({ gateway: 'gw-rec-b', mode: 'always', recorder: onA.segments[0]!.recorder })]);
    expect(onB.entries.some((e) => e.json?.text === 'after the move')).toBe(true);
  });
});
