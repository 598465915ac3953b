import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskError, type RelaydeskClient } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { httpJson, identityStores, loginToken } from '../identity/identity-fixture.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { eventually } from './events.js';
import { rawSocket } from './raw-socket.js';

const fields = [
  { key: 'order', label: 'Order number', required: true, maxLength: 12 },
  { key: 'device', label: 'Device', required: false, maxLength: 40 },
];

/** Sends one join with `form` on a bare socket (what the SDK would never send) and returns the error frames and the close. */
async function rawJoin(t: TestGateway, pin: string, form: unknown) {
  const raw = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
  await raw.opened;
  raw.ws.send(JSON.stringify({ v: 1, type: 'join', pin, name: 'Pat', form }));
  const closed = await raw.closed;
  return { closed, errors: raw.errors() as { code: string; message: string; form?: unknown }[] };
}

for (const registry of ['memory', 'redis'] as const) {
  describe(`pre-session form (${registry} registry)`, () => {
    let redis: RedisServer | undefined;
    let t: TestGateway;
    let stores: Awaited<ReturnType<typeof identityStores>>;
    let tech: RelaydeskClient;
    const pw: Record<string, string> = {};

    beforeAll(async () => {
      if (registry === 'redis') redis = await startRedisServer();
      // pinGuessesPerAddress: every refused join below counts as a PIN guess (join-form.ts says why).
      t = await startTestGateway(redis ? { registry: 'redis', redisUrl: redis.url, accountStore: 'file', pinGuessesPerAddress: '100' } : { pinGuessesPerAddress: '100' });
      stores = await identityStores(t);
      pw.admin = await stores.addAccount('ada', 'asking', 'administrator');
      pw.tech = await stores.addAccount('tess', 'asking', 'technician');
      pw.plain = await stores.addAccount('pia', 'plain', 'technician');
      tech = t.client();
      await tech.login('tess', pw.tech);
    });
    afterAll(async () => {
      await stores?.close();
      await t?.stop();
      await redis?.stop();
    });

    it('an administrator sets the form through the admin API (a technician may not); bad definitions are refused', async () => {
      const admin = await loginToken(t, 'ada', pw.admin!);
      const tess = await loginToken(t, 'tess', pw.tech!);
      expect((await httpJson(t, 'PUT', '/v1/admin/form', { token: tess, body: { fields } })).status).toBe(403);
      const bad = await httpJson(t, 'PUT', '/v1/admin/form', { token: admin, body: { fields: [{ key: 'Order!', label: 'x' }] } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^form: 0\.key: /);
      const hostileLabel = await httpJson(t, 'PUT', '/v1/admin/form', { token: admin, body: { fields: [{ key: 'a', label: 'x\u202Ey' }] } });
      expect(hostileLabel.status).toBe(400);
      const tooMany = Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, label: `Q${i}` }));
      expect((await httpJson(t, 'PUT', '/v1/admin/form', { token: admin, body: { fields: tooMany } })).status).toBe(400);
      const set = await httpJson(t, 'PUT', '/v1/admin/form', { token: admin, body: { fields } });
      expect(set).toMatchObject({ status: 200, body: { fields } });
      expect((await httpJson(t, 'GET', '/v1/admin/form', { token: tess })).body).toEqual({ fields });
    });

    it('a join without answers gets E_FORM_REQUIRED with the questions; oversized and hostile answers are refused; the PIN still works', async () => {
      const s = await tech.createSession();
      const refused = await t
        .client()
        .joinSession({ pin: s.pin }, 'Pat')
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(RelaydeskError);
      expect(refused).toMatchObject({ code: 'E_FORM_REQUIRED', form: fields });

      const cases: [string, unknown, string][] = [
        ['a required answer missing', { device: 'laptop' }, 'E_FORM_INVALID'],
        ['an answer longer than its field allows', { order: 'x'.repeat(13) }, 'E_FORM_INVALID'],
        ['a key the form does not have', { order: 'A-1', shoe: '42' }, 'E_FORM_INVALID'],
        ['an answer longer than any field may be', { order: 'x'.repeat(201) }, 'E_BAD_MESSAGE'],
        ['answers longer than 600 characters together', { order: 'x'.repeat(200), device: 'y'.repeat(200), a: 'z'.repeat(200), b: 'w' }, 'E_BAD_MESSAGE'],
        ['more answers than any form has fields', Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, 'x'])), 'E_BAD_MESSAGE'],
        ['an ANSI escape', { order: 'A-1\u001b[2J' }, 'E_BAD_MESSAGE'],
        ['a newline (a forged log line)', { order: 'A-1\nlevel=error' }, 'E_BAD_MESSAGE'],
        ['a bidi override', { order: 'A-1\u202Egnp.exe' }, 'E_BAD_MESSAGE'],
        ['a malformed key', { 'Order Number': 'A-1' }, 'E_BAD_MESSAGE'],
        ['answers that are not text', { order: 12 }, 'E_BAD_MESSAGE'],
        ['a form that is a list', ['A-1'], 'E_BAD_MESSAGE'],
      ];
      for (const [what, form, code] of cases) {
        const r = await rawJoin(t, s.pin, form);
        expect(r.errors.map((e) => e.code), what).toEqual([code]);
        expect(r.closed.reason, what).toBe(code);
        if (code === 'E_FORM_INVALID') expect(r.errors[0]!.form, what).toEqual(fields);
      }
      expect((await tech.listWaiting()).some((w) => w.guid === s.guid)).toBe(false);

      // Nothing was lost: the same PIN joins with answers that fit. Markup is just text (the console shows it as typed).
      const customer = await t.client().joinSession({ pin: s.pin }, 'Pat', { form: { order: ' A-1234 ', device: '<img src=x onerror=alert(1)>' } });
      const want = [
        { key: 'order', label: 'Order number', value: 'A-1234' },
        { key: 'device', label: 'Device', value: '<img src=x onerror=alert(1)>' },
      ];
      expect((await tech.listWaiting()).find((w) => w.guid === s.guid)).toMatchObject({ customerName: 'Pat', form: want });
      expect((await t.gateway.registry.getSession(s.guid))?.form).toEqual(want);

      // The live queue carries them too.
      const queue = rawSocket(t.baseUrl, '/v1/queue', t.gateway.caPem);
      await queue.opened;
      queue.ws.send(JSON.stringify({ v: 1, type: 'subscribe', token: tech.bearerToken }));
      const entry = () => queue.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'queue').at(-1)?.sessions.find((e: { guid: string }) => e.guid === s.guid);
      expect(await eventually(() => entry() !== undefined)).toBe(true);
      expect(entry().form).toEqual(want);
      queue.ws.close();

      // Picked up, the session leaves the queue and its answers with it.
      await tech.pickUp(s.guid).then((c) => c.end());
      await customer.closedPromise();
    });

    it('an organisation without a form ignores answers and stores none', async () => {
      const plain = t.client();
      await plain.login('pia', pw.plain!);
      const s = await plain.createSession();
      const customer = await t.client().joinSession({ pin: s.pin }, 'Pat', { form: { order: 'A-1' } });
      expect((await plain.listWaiting()).find((w) => w.guid === s.guid)).not.toHaveProperty('form');
      expect((await t.gateway.registry.getSession(s.guid))?.form).toBeUndefined();
      customer.end();
      await customer.closedPromise();
    });
  });
}
