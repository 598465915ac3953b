import { generate } from 'otplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { httpJson, identityStores, loginToken } from './identity-fixture.js';

// Two gateways on one Redis: accounts and organisation records live there too (accountStore auto → redis).
let redis: RedisServer;
let a: TestGateway;
let b: TestGateway;
let stores: Awaited<ReturnType<typeof identityStores>>;
const pw: Record<string, string> = {};

beforeAll(async () => {
  redis = await startRedisServer();
  const options = { registry: 'redis', redisUrl: redis.url, redisKeyPrefix: `ident${process.pid}:` };
  [a, b] = await Promise.all([startTestGateway(options), startTestGateway(options)]);
  stores = await identityStores(a);
  pw.admin = await stores.addAccount('ada', 'acme', 'administrator');
  pw.tech = await stores.addAccount('tess', 'acme', 'technician');
}, 60_000);
afterAll(async () => {
  await stores?.close();
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a policy set through one gateway is what the other gateway gives the session core', async () => {
  const admin = await loginToken(a, 'ada', pw.admin!);
  const set = await httpJson(a, 'PUT', '/v1/admin/policy', { token: admin, body: { allowedPowers: ['view'], recording: 'always' } });
  expect(set.status).toBe(200);
  expect(await b.gateway.policies.policyFor('acme')).toMatchObject({ allowedPowers: ['view'], recording: 'always' });
  const tech = await loginToken(b, 'tess', pw.tech!);
  expect((await httpJson(b, 'GET', '/v1/admin/policy', { token: tech })).body.effective.allowedPowers).toEqual(['view']);
});

it('an allow-list set through one gateway refuses requests at the other within two seconds', async () => {
  const admin = await loginToken(a, 'ada', pw.admin!);
  const tech = await loginToken(b, 'tess', pw.tech!, '127.0.0.2');
  expect((await httpJson(a, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: ['127.0.0.1/32'] } })).status).toBe(200);
  await eventually(async () => (await httpJson(b, 'GET', '/v1/sessions/waiting', { token: tech, from: '127.0.0.2' })).status === 403, 3_000);
  await httpJson(a, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: [] } });
});

it('a second step started at one gateway finishes at the other', async () => {
  const tech = await loginToken(a, 'tess', pw.tech!);
  const enrol = await httpJson(a, 'POST', '/v1/auth/totp/enrol', { token: tech });
  const confirmed = await httpJson(a, 'POST', '/v1/auth/totp/confirm', { token: tech, body: { code: await generate({ secret: enrol.body.secret }) } });
  expect(confirmed.body.recoveryCodes).toHaveLength(10);
  const first = await httpJson(a, 'POST', '/v1/auth/login', { body: { username: 'tess', password: pw.tech } });
  expect(first.body.secondFactor).toBe('totp');
  const done = await httpJson(b, 'POST', '/v1/auth/login/second-factor', { body: { challenge: first.body.challenge, recoveryCode: confirmed.body.recoveryCodes[0] } });
  expect(done).toMatchObject({ status: 200, body: { token: expect.any(String) } });
});
