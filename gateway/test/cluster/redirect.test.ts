import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../../src/pki/certificate-files.js';
import { nextEvent } from '../e2e/events.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';

let redis: RedisServer;
let clusterDir: string;
let a: TestGateway;
let b: TestGateway;
let pw: string;

beforeAll(async () => {
  redis = await startRedisServer();
  clusterDir = await mkdtemp(join(tmpdir(), 'relaydesk-redirect-'));
  await loadOrCreateCa({ dir: clusterDir, name: 'cluster-ca', commonName: 'test cluster CA', validityDays: 30 });
  // Both gateways must present a certificate the client trusts: share one data folder's TLS via tlsCert.
  a = await startTestGateway({ registry: 'redis', redisUrl: redis.url, gatewayId: 'gw-ra', clusterDir, clusterMode: 'redirect' });
  const tls = join(a.dataDir, 'tls');
  b = await startTestGateway({
    registry: 'redis', redisUrl: redis.url, gatewayId: 'gw-rb', clusterDir, clusterMode: 'redirect',
    tlsCert: join(tls, 'gateway.crt'), tlsKey: join(tls, 'gateway.key'), tlsCa: join(tls, 'ca.crt'),
  });
  // publicUrl defaults to https://localhost:<port>, which the shared certificate names.
  pw = await a.addTechnician('rena', 'acme');
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
  await rm(clusterDir, { recursive: true, force: true });
});

async function metric(t: TestGateway, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.gateway.adminPort}/metrics`)).text();
  return Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop() ?? 0);
}

describe('redirect mode: a technician arriving on B is sent to A, where the customer waits', () => {
  it('pairs directly on A, with no gateway link in between', async () => {
    const techClient = b.client();
    await techClient.login('rena', pw);
    const s = await techClient.createSession();
    const customer = await a.client().joinSession({ pin: s.pin }, 'Direct');
    const tech = await techClient.pickUp(s.guid);
    await customer.waitFor('active');
    expect(await metric(b, /^relaydesk_rejected_total\{code="E_REDIRECT"/)).toBe(1);
    // The technician's connection now lives on A: both parties are A's connections.
    expect(await metric(a, /^relaydesk_connections\{role="technician"/)).toBe(1);
    const chat = nextEvent(tech, 'chat');
    customer.chat('straight to you');
    expect((await chat).text).toBe('straight to you');
    customer.end();
  });
});
