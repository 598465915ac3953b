import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SessionRecord } from '../session/session-record.js';
import type { CounterOp, Registry } from './registry.js';
import { maxPinAttempts } from './registry-rules.js';

/** One registry under test, fresh and empty. */
export interface RegistrySubject {
  registry: Registry;
  /** The clock the registry judges lifetimes by; records are stamped from it. */
  clock: Clock;
  /** Lets `ms` of registry time pass: a fake clock jumps at once, a real Redis is waited for. */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Short lifetimes used by the expiry cases. Real Redis has to wait them out, so they are small, yet
 * several times the few ms a loopback round trip takes, so a slow CI box does not flip a result.
 */
const shortTtl = 300;
const pastShortTtl = shortTtl + 100;

/**
 * The contract every Registry implementation passes (the Hono `runTest({ newRouter })` habit): the
 * memory registry and the Redis registry run these same cases, so the embedded default and the cluster
 * behave alike.
 */
export function registryContract(name: string, make: () => Promise<RegistrySubject>): void {
  describe(`Registry contract: ${name}`, () => {
    let subject: RegistrySubject;
    let registry: Registry;

    beforeEach(async () => {
      subject = await make();
      registry = subject.registry;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    const newGuid = () => randomBytes(16).toString('hex');
    const base = (over: Partial<SessionRecord> = {}): Omit<SessionRecord, 'pin'> => {
      const now = subject.clock();
      return {
        guid: newGuid(),
        orgId: 'org-a',
        createdBy: 'tech-creator',
        state: 'created',
        createdAt: now,
        expiresAt: now + 3_600_000,
        updatedAt: now,
        ...over,
      };
    };
    let pinSeq = 100000;
    const freshPin = () => String(pinSeq++);
    const pins = (...candidates: string[]) => {
      const calls: string[] = [];
      const next = () => {
        const pin = candidates[Math.min(calls.length, candidates.length - 1)]!;
        calls.push(pin);
        return pin;
      };
      return { next, calls };
    };
    const errorCode = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err instanceof GatewayError ? err.code : err;
      }
      return 'resolved';
    };

    describe('create, get, find by PIN', () => {
      it('stores the record with the PIN it chose and finds it by GUID and by PIN', async () => {
        const record = base({ customerName: 'Ada' });
        const created = await registry.createSession(record, () => '123456');
        expect(created).toEqual({ ...record, pin: '123456' });
        expect(await registry.getSession(record.guid)).toEqual(created);
        expect(await registry.findGuidByPin('123456')).toBe(record.guid);
        expect(await registry.findSessionByPin('123456')).toEqual(created);
      });

      it('finds no session by a PIN it released, or by a PIN whose session is gone', async () => {
        const picked = await registry.createSession(base({ state: 'waiting' }), () => '222222');
        await registry.updateSession(picked.guid, { states: ['waiting'] }, { set: { state: 'active' }, releasePin: true });
        expect(await registry.findSessionByPin('222222')).toBeNull();
        const short = await registry.createSession(base({ expiresAt: subject.clock() + shortTtl }), () => '222223');
        await subject.advance(pastShortTtl);
        expect(await registry.findSessionByPin(short.pin)).toBeNull();
      });

      it('answers null for an unknown GUID or PIN', async () => {
        await registry.createSession(base(), () => '123456');
        expect(await registry.getSession(newGuid())).toBeNull();
        expect(await registry.findGuidByPin('654321')).toBeNull();
        expect(await registry.findSessionByPin('654321')).toBeNull();
      });

      it('hands out copies: changing a returned record does not change the stored one', async () => {
        const created = await registry.createSession(base(), freshPin);
        created.state = 'closed';
        const read = await registry.getSession(created.guid);
        read!.orgId = 'mutated';
        expect(await registry.getSession(created.guid)).toMatchObject({ state: 'created', orgId: 'org-a' });
      });

      it('keeps a record JSON-exact: optional fields absent stay absent, numbers stay numbers', async () => {
        const record = base({ state: 'waiting', anchorGateway: 'gw-2', createdAt: 1_700_000_000_123 });
        await registry.createSession(record, freshPin);
        const read = await registry.getSession(record.guid);
        expect(read).toEqual({ ...record, pin: expect.any(String) });
        expect(read).not.toHaveProperty('technicianId');
        expect(typeof read!.createdAt).toBe('number');
      });
    });

    describe('PIN uniqueness', () => {
      it('asks for another PIN when the first candidate is held by a live session', async () => {
        await registry.createSession(base(), () => '111111');
        const { next, calls } = pins('111111', '222222');
        const second = await registry.createSession(base(), next);
        expect(second.pin).toBe('222222');
        expect(calls).toEqual(['111111', '222222']);
        expect(await registry.findGuidByPin('111111')).not.toBe(second.guid);
      });

      it('gives up with E_CAPACITY after a bounded number of taken candidates', async () => {
        await registry.createSession(base(), () => '111111');
        const { next, calls } = pins('111111');
        const record = base();
        expect(await errorCode(registry.createSession(record, next))).toBe('E_CAPACITY');
        expect(calls.length).toBe(maxPinAttempts);
        expect(await registry.getSession(record.guid)).toBeNull();
      });

      it('frees the PIN on releasePin, while the session itself lives on', async () => {
        const first = await registry.createSession(base({ state: 'waiting' }), () => '333333');
        const result = await registry.updateSession(
          first.guid,
          { states: ['waiting'] },
          { set: { state: 'active', technicianId: 'tech-1' }, releasePin: true },
        );
        expect(result.ok).toBe(true);
        expect(await registry.findGuidByPin('333333')).toBeNull();
        const second = await registry.createSession(base(), () => '333333');
        expect(second.pin).toBe('333333');
        expect(await registry.findGuidByPin('333333')).toBe(second.guid);
        expect(await registry.getSession(first.guid)).toMatchObject({ state: 'active', pin: '333333' });
      });

      it('frees the PIN when its session expires', async () => {
        const now = subject.clock();
        const first = await registry.createSession(base({ expiresAt: now + shortTtl }), () => '444444');
        await subject.advance(pastShortTtl);
        expect(await registry.findGuidByPin('444444')).toBeNull();
        expect(await registry.getSession(first.guid)).toBeNull();
        const second = await registry.createSession(base(), () => '444444');
        expect(second.pin).toBe('444444');
      });
    });

    describe('compare-and-set', () => {
      it('answers not_found for an unknown session', async () => {
        expect(await registry.updateSession(newGuid(), { states: ['waiting'] }, { set: { state: 'active' } })).toEqual({
          ok: false,
          reason: 'not_found',
        });
      });

      it('refuses a session in another state and leaves it unchanged', async () => {
        const created = await registry.createSession(base({ state: 'created' }), freshPin);
        const result = await registry.updateSession(created.guid, { states: ['waiting'] }, { set: { state: 'active' } });
        expect(result).toEqual({ ok: false, reason: 'wrong_state', session: created });
        expect(await registry.getSession(created.guid)).toEqual(created);
      });

      it('refuses a session of another org, even when the state matches', async () => {
        const created = await registry.createSession(base({ state: 'waiting', orgId: 'org-b' }), freshPin);
        const result = await registry.updateSession(
          created.guid,
          { states: ['waiting'], orgId: 'org-a' },
          { set: { state: 'active' } },
        );
        expect(result).toEqual({ ok: false, reason: 'wrong_org', session: created });
        expect((await registry.getSession(created.guid))!.state).toBe('waiting');
      });

      it('applies the patch when state and org match, leaving undefined fields unchanged', async () => {
        const created = await registry.createSession(base({ state: 'waiting', customerName: 'Ada' }), freshPin);
        const result = await registry.updateSession(
          created.guid,
          { states: ['created', 'waiting'], orgId: 'org-a' },
          { set: { state: 'active', technicianId: 'tech-9', customerName: undefined, updatedAt: created.updatedAt + 5 } },
        );
        const expected = { ...created, state: 'active', technicianId: 'tech-9', updatedAt: created.updatedAt + 5 };
        expect(result).toEqual({ ok: true, session: expected });
        expect(await registry.getSession(created.guid)).toEqual(expected);
      });

      it('lets exactly one of many concurrent pickups win, and stores the winner', async () => {
        const created = await registry.createSession(base({ state: 'waiting' }), freshPin);
        const racers = Array.from({ length: 50 }, (_, i) => `tech-${i}`);
        const results = await Promise.all(
          racers.map((technicianId) =>
            registry.updateSession(
              created.guid,
              { states: ['waiting'], orgId: 'org-a' },
              { set: { state: 'active', technicianId }, releasePin: true },
            ),
          ),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [racers[i]] : []));
        expect(winners).toHaveLength(1);
        const losers = results.filter((r) => !r.ok);
        expect(losers.every((r) => !r.ok && r.reason === 'wrong_state')).toBe(true);
        // Every loser saw the winner's record, not some half-applied mix.
        for (const r of losers) if (!r.ok && r.reason !== 'not_found') expect(r.session.technicianId).toBe(winners[0]);
        expect(await registry.getSession(created.guid)).toMatchObject({ state: 'active', technicianId: winners[0] });
        expect(await registry.listWaiting('org-a')).toEqual([]);
      });
    });

    describe('compare-and-set by PIN', () => {
      it('changes the live session that holds the PIN, indexes it, and finds nothing by a PIN nobody holds', async () => {
        const created = await registry.createSession(base(), () => '555555');
        const result = await registry.updateSessionByPin('555555', { states: ['created'] }, { set: { state: 'waiting', customerName: 'Ada' } });
        expect(result).toMatchObject({ ok: true, session: { guid: created.guid, state: 'waiting', customerName: 'Ada', pin: '555555' } });
        expect((await registry.listWaiting('org-a')).map((s) => s.guid)).toEqual([created.guid]);
        expect(await registry.updateSessionByPin('555555', { states: ['created'] }, { set: { state: 'waiting' } })).toMatchObject({ ok: false, reason: 'wrong_state' });
        expect(await registry.updateSessionByPin('555556', { states: ['created'] }, { set: { state: 'waiting' } })).toEqual({ ok: false, reason: 'not_found' });
        await registry.updateSession(created.guid, { states: ['waiting'] }, { set: { state: 'active' }, releasePin: true });
        expect(await registry.updateSessionByPin('555555', { states: ['active'] }, { set: {} })).toEqual({ ok: false, reason: 'not_found' });
        expect(await registry.listWaiting('org-a')).toEqual([]);
      });

      it('refuses a session past aliveAt, and ttlPastExpiresMs sets the lifetime from its expiresAt', async () => {
        const now = subject.clock();
        const created = await registry.createSession(base({ expiresAt: now + 1000 }), () => '666666');
        expect(await registry.updateSessionByPin('666666', { states: ['created'], aliveAt: now + 1000 }, { set: { state: 'waiting' } })).toMatchObject({ ok: false, reason: 'wrong_state' });
        const joined = await registry.updateSessionByPin('666666', { states: ['created'], aliveAt: now }, { set: { state: 'waiting' }, ttlPastExpiresMs: shortTtl - 1000 });
        expect(joined.ok).toBe(true);
        await subject.advance(pastShortTtl);
        expect(await registry.getSession(created.guid)).toBeNull();
        expect(await registry.findGuidByPin('666666')).toBeNull();
      });

      it('lets exactly one of many concurrent claims of one PIN win', async () => {
        await registry.createSession(base(), () => '777777');
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => registry.updateSessionByPin('777777', { states: ['created'] }, { set: { state: 'waiting', customerName: `c${i}` } })),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
      });
    });

    describe('listWaiting', () => {
      it("returns only that org's waiting sessions, oldest first", async () => {
        const now = subject.clock();
        const middle = await registry.createSession(base({ state: 'waiting', createdAt: now - 2000 }), freshPin);
        const newest = await registry.createSession(base({ state: 'waiting', createdAt: now - 1000 }), freshPin);
        await registry.createSession(base({ state: 'created', createdAt: now - 5000 }), freshPin);
        await registry.createSession(base({ state: 'waiting', orgId: 'org-b', createdAt: now - 9000 }), freshPin);
        // Becomes waiting last but is the oldest: order is by age, not by arrival in the queue.
        const oldest = await registry.createSession(base({ state: 'created', createdAt: now - 3000 }), freshPin);
        await registry.updateSession(oldest.guid, { states: ['created'] }, { set: { state: 'waiting' } });

        const listed = await registry.listWaiting('org-a');
        expect(listed.map((s) => s.guid)).toEqual([oldest.guid, middle.guid, newest.guid]);
        expect(listed[0]).toEqual({ ...oldest, state: 'waiting' });
        expect((await registry.listWaiting('org-b')).map((s) => s.orgId)).toEqual(['org-b']);
        expect(await registry.listWaiting('org-none')).toEqual([]);
      });

      it('drops sessions that were picked up or closed', async () => {
        const a = await registry.createSession(base({ state: 'waiting' }), freshPin);
        const b = await registry.createSession(base({ state: 'waiting' }), freshPin);
        const c = await registry.createSession(base({ state: 'waiting' }), freshPin);
        await registry.updateSession(a.guid, { states: ['waiting'] }, { set: { state: 'closed', closeReason: 'customer_left' } });
        await registry.updateSession(c.guid, { states: ['waiting'] }, { set: { state: 'active' }, releasePin: true });
        expect((await registry.listWaiting('org-a')).map((s) => s.guid)).toEqual([b.guid]);
      });

      it('drops sessions that expired', async () => {
        const now = subject.clock();
        await registry.createSession(base({ state: 'waiting', expiresAt: now + shortTtl }), freshPin);
        const lasting = await registry.createSession(base({ state: 'waiting' }), freshPin);
        await subject.advance(pastShortTtl);
        expect((await registry.listWaiting('org-a')).map((s) => s.guid)).toEqual([lasting.guid]);
      });
    });

    describe('lifetimes', () => {
      it('a session vanishes at its expiresAt, not before', async () => {
        const now = subject.clock();
        const created = await registry.createSession(base({ expiresAt: now + shortTtl }), freshPin);
        await subject.advance(shortTtl - 200);
        expect(await registry.getSession(created.guid)).not.toBeNull();
        await subject.advance(300);
        expect(await registry.getSession(created.guid)).toBeNull();
        expect(await registry.updateSession(created.guid, { states: ['created'] }, { set: { state: 'waiting' } })).toEqual({
          ok: false,
          reason: 'not_found',
        });
      });

      it('touchSessions extends sessions and their PINs, ignores unknown GUIDs', async () => {
        const now = subject.clock();
        const touched = await registry.createSession(base({ state: 'waiting', expiresAt: now + shortTtl }), freshPin);
        const left = await registry.createSession(base({ expiresAt: now + shortTtl }), freshPin);
        await registry.touchSessions([touched.guid, newGuid()], shortTtl * 3);
        await subject.advance(pastShortTtl);
        expect(await registry.getSession(touched.guid)).toMatchObject({ guid: touched.guid });
        expect(await registry.findGuidByPin(touched.pin)).toBe(touched.guid);
        expect((await registry.listWaiting('org-a')).map((s) => s.guid)).toEqual([touched.guid]);
        expect(await registry.getSession(left.guid)).toBeNull();
      });

      it('touchSessions never shortens a lifetime', async () => {
        const now = subject.clock();
        const created = await registry.createSession(base({ expiresAt: now + shortTtl }), freshPin);
        await registry.touchSessions([created.guid], 50);
        await subject.advance(150);
        expect(await registry.getSession(created.guid)).not.toBeNull();
      });

      it("a patch's ttlMs replaces the lifetime", async () => {
        const created = await registry.createSession(base({ state: 'waiting' }), freshPin);
        await registry.updateSession(created.guid, { states: ['waiting'] }, { set: {}, ttlMs: shortTtl });
        await subject.advance(pastShortTtl);
        expect(await registry.getSession(created.guid)).toBeNull();
        expect(await registry.findGuidByPin(created.pin)).toBeNull();
        expect(await registry.listWaiting('org-a')).toEqual([]);
      });
    });

    describe('tokens', () => {
      const token = { technicianId: 'tech-1', orgId: 'org-a', epoch: 3, expiresAt: 1_700_000_000_000 };

      it('stores, reads and deletes a token', async () => {
        await registry.putToken('tok-1', token, 60_000);
        expect(await registry.getToken('tok-1')).toEqual(token);
        expect(await registry.getToken('tok-2')).toBeNull();
        await registry.deleteToken('tok-1');
        expect(await registry.getToken('tok-1')).toBeNull();
        await registry.deleteToken('tok-never'); // deleting what is absent is not an error
      });

      it('forgets a token after its ttl', async () => {
        await registry.putToken('tok-short', token, shortTtl);
        await registry.putToken('tok-long', token, 60_000);
        await subject.advance(pastShortTtl);
        expect(await registry.getToken('tok-short')).toBeNull();
        expect(await registry.getToken('tok-long')).toEqual(token);
      });
    });

    describe('gateways', () => {
      const gw = (id: string, connections = 0) => ({
        id,
        publicUrl: `https://${id}.example:8443`,
        linkAddress: `${id}.example:8444`,
        connections,
        capacity: 1000,
        draining: false,
        startedAt: 1,
        updatedAt: subject.clock(),
      });

      it('lists live gateways, refreshes them, and forgets one after its ttl or on removal', async () => {
        await registry.putGateway(gw('gw-a'), shortTtl);
        await registry.putGateway(gw('gw-b'), 60_000);
        await registry.putGateway(gw('gw-c'), 60_000);
        expect((await registry.listGateways()).map((g) => g.id).sort()).toEqual(['gw-a', 'gw-b', 'gw-c']);
        await registry.putGateway(gw('gw-b', 7), 60_000);
        expect((await registry.getGateway('gw-b'))?.connections).toBe(7);
        await registry.removeGateway('gw-c');
        await subject.advance(pastShortTtl);
        expect((await registry.listGateways()).map((g) => g.id)).toEqual(['gw-b']);
        expect(await registry.getGateway('gw-a')).toBeNull();
      });
    });

    describe('counters', () => {
      it('counts hits per key and resets', async () => {
        expect(await registry.hit('login:ada', 60_000)).toBe(1);
        expect(await registry.hit('login:ada', 60_000)).toBe(2);
        expect(await registry.hit('login:bob', 60_000)).toBe(1);
        expect(await registry.count('login:ada')).toBe(2);
        expect(await registry.count('login:nobody')).toBe(0);
        await registry.resetCounter('login:ada');
        expect(await registry.count('login:ada')).toBe(0);
        expect(await registry.hit('login:ada', 60_000)).toBe(1);
      });

      it('counts in a fixed window that starts with the first hit', async () => {
        expect(await registry.hit('rate:x', shortTtl)).toBe(1);
        await subject.advance(shortTtl / 2);
        // A later hit does not slide the window.
        expect(await registry.hit('rate:x', shortTtl)).toBe(2);
        await subject.advance(shortTtl / 2 + 100);
        expect(await registry.count('rate:x')).toBe(0);
        expect(await registry.hit('rate:x', shortTtl)).toBe(1);
      });

      it('takes back a hit, never below zero and never creating a counter', async () => {
        expect(await registry.hit('pin:a', 60_000)).toBe(1);
        expect(await registry.hit('pin:a', 60_000)).toBe(2);
        await registry.unhit('pin:a');
        expect(await registry.count('pin:a')).toBe(1);
        await registry.unhit('pin:a');
        await registry.unhit('pin:a');
        expect(await registry.count('pin:a')).toBe(0);
        await registry.unhit('pin:never');
        expect(await registry.count('pin:never')).toBe(0);
        expect(await registry.hit('pin:never', 60_000)).toBe(1);
      });

      it('runs several counter operations in one call, in order, with or without a shared {tag}', async () => {
        expect(await registry.counterBatch([
          { op: 'hit', key: '{g}:a', windowMs: 60_000 },
          { op: 'hit', key: '{g}:a', windowMs: 60_000 },
          { op: 'count', key: '{g}:b' },
          { op: 'hit', key: 'plain', windowMs: shortTtl },
        ])).toEqual([1, 2, 0, 1]);
        expect(await registry.counterBatch([{ op: 'unhit', key: '{g}:a' }, { op: 'unhit', key: '{g}:never' }, { op: 'count', key: 'plain' }])).toEqual([1, 0, 1]);
        expect(await registry.count('{g}:never')).toBe(0);
        await subject.advance(pastShortTtl);
        expect(await registry.counterBatch([{ op: 'count', key: 'plain' }, { op: 'count', key: '{g}:a' }])).toEqual([0, 1]);
        expect(await registry.counterBatch([])).toEqual([]);
      });

      it('hits a counter only when an earlier op of the batch counted 0 (onlyIfZero), else reads it', async () => {
        const batch = (proven: string): CounterOp[] => [
          { op: 'count', key: proven },
          { op: 'hit', key: '{h}:all', windowMs: 60_000, onlyIfZero: 0 },
          { op: 'hit', key: 'other', windowMs: 60_000, onlyIfZero: 0 },
        ];
        expect(await registry.counterBatch(batch('{h}:nobody'))).toEqual([0, 1, 1]);
        await registry.hit('{h}:proven', 60_000);
        expect(await registry.counterBatch(batch('{h}:proven'))).toEqual([1, 1, 1]);
        expect(await registry.counterBatch(batch('{h}:nobody'))).toEqual([0, 2, 2]);
      });

      it('counts every one of many concurrent hits', async () => {
        const counts = await Promise.all(Array.from({ length: 40 }, () => registry.hit('burst', 60_000)));
        expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });
    });

    describe('slots', () => {
      it('holds at most `limit` members, however many ask at once', async () => {
        const until = subject.clock() + 60_000;
        const taken = await Promise.all(Array.from({ length: 60 }, (_, i) => registry.takeSlot('tech:a', `s${i}`, until, 7)));
        expect(taken.filter(Boolean)).toHaveLength(7);
        // A member already holding a slot keeps it; another key is another budget.
        const holder = `s${taken.indexOf(true)}`;
        expect(await registry.takeSlot('tech:a', holder, until, 7)).toBe(true);
        expect(await registry.takeSlot('tech:b', 'x', until, 7)).toBe(true);
        await registry.releaseSlot('tech:a', holder);
        expect(await registry.takeSlot('tech:a', 'late', until, 7)).toBe(true);
        expect(await registry.takeSlot('tech:a', 'later', until, 7)).toBe(false);
      });

      it('takes slots in several sets all or nothing, and releases them together', async () => {
        const until = subject.clock() + 60_000;
        expect(await registry.takeSlots([{ key: '{o}tech', limit: 2 }, { key: '{o}org', limit: 1 }], 'a', until)).toEqual([true, true]);
        // The org set is full: nothing is taken, not even in the technician set that had room.
        expect(await registry.takeSlots([{ key: '{o}tech', limit: 2 }, { key: '{o}org', limit: 1 }], 'b', until)).toEqual([true, false]);
        expect(await registry.takeSlot('{o}tech', 'c', until, 2)).toBe(true);
        expect(await registry.takeSlot('{o}tech', 'd', until, 2)).toBe(false);
        await registry.releaseSlots(['{o}tech', '{o}org'], 'a');
        expect(await registry.takeSlots([{ key: '{o}tech', limit: 2 }, { key: '{o}org', limit: 1 }], 'b', until)).toEqual([true, true]);
        // Keys without a shared tag work too (one command each on a Cluster).
        expect(await registry.takeSlots([{ key: 'x:1', limit: 1 }, { key: 'y:1', limit: 1 }], 'm', until)).toEqual([true, true]);
        expect(await registry.takeSlots([{ key: 'x:1', limit: 1 }, { key: 'y:2', limit: 1 }], 'n', until)).toEqual([false, true]);
        expect(await registry.takeSlot('y:2', 'o', until, 1)).toBe(true); // n was given back
      });

      it('frees a slot when its member expires', async () => {
        expect(await registry.takeSlot('tech:c', 'old', subject.clock() + shortTtl, 1)).toBe(true);
        expect(await registry.takeSlot('tech:c', 'new', subject.clock() + 60_000, 1)).toBe(false);
        await subject.advance(pastShortTtl);
        expect(await registry.takeSlot('tech:c', 'new', subject.clock() + 60_000, 1)).toBe(true);
      });
    });

    it('is ready while open', () => {
      expect(registry.isReady()).toBe(true);
    });
  });
}
