import { describe, expect, it } from 'vitest';
import { LiveEventBus, type LiveEvent } from './live-events.js';
import { LiveSession, MAX_TECHNICIANS } from './live-session.js';

function session() {
  const events: LiveEvent[] = [];
  const bus = new LiveEventBus((err) => {
    throw err;
  });
  bus.on((e) => events.push(e));
  let t = 1000;
  const s = new LiveSession('g'.repeat(32), 'acme', 'Carol', 10_000, 0, bus, () => t);
  return { s, events, tick: (ms: number) => (t += ms) };
}

const add = (s: LiveSession, role: 'customer' | 'technician', how: 'join' | 'pickup' | 'attend', name: string = role) =>
  s.apply({ kind: 'add', role, name, conn: null, how });

describe('LiveSession.apply, the one way a live session changes', () => {
  it('numbers participants by role, gives control to the technician who picked up, and emits one event per change', () => {
    const { s, events } = session();
    add(s, 'customer', 'join');
    add(s, 'technician', 'pickup', 'ann');
    add(s, 'technician', 'attend', 'ben');
    expect([...s.participants.keys()]).toEqual(['c1', 't1', 't2']);
    expect(s.controller).toBe('t1');
    expect(events.map((e) => e.type)).toEqual(['participant_joined', 'participant_joined', 'participant_joined']);
    expect(add(s, 'customer', 'join')).toMatchObject({ ok: false, code: 'E_SESSION_FULL' });
  });

  it('passes control only from its holder (or the customer) to a technician of the session', () => {
    const { s, events } = session();
    add(s, 'customer', 'join');
    add(s, 'technician', 'pickup');
    add(s, 'technician', 'attend');
    expect(s.apply({ kind: 'pass', by: 't2', to: 't2' })).toMatchObject({ ok: false, code: 'E_NOT_CONTROLLER' });
    expect(s.apply({ kind: 'pass', by: 't1', to: 'c1' })).toMatchObject({ ok: false, code: 'E_NO_SUCH_PARTICIPANT' });
    expect(s.apply({ kind: 'pass', by: 't1', to: 't2' })).toMatchObject({ ok: true });
    expect(s.apply({ kind: 'pass', by: 'c1', to: 't1' })).toMatchObject({ ok: true });
    expect(events.filter((e) => e.type === 'control_passed')).toEqual([
      { type: 'control_passed', guid: s.guid, from: 't1', to: 't2' },
      { type: 'control_passed', guid: s.guid, from: 't2', to: 't1' },
    ]);
  });

  it('hands control to the technician who has been there longest when its holder leaves, and to nobody when none is left', () => {
    const { s } = session();
    add(s, 'customer', 'join');
    add(s, 'technician', 'pickup');
    add(s, 'technician', 'attend');
    add(s, 'technician', 'attend');
    s.apply({ kind: 'pass', by: 't1', to: 't3' });
    s.apply({ kind: 'remove', id: 't3', reason: 'left' });
    expect(s.controller).toBe('t1');
    s.apply({ kind: 'remove', id: 't1', reason: 'left' });
    expect(s.controller).toBe('t2');
    s.apply({ kind: 'remove', id: 't2', reason: 'left' });
    expect(s.controller).toBeNull();
  });

  it('caps technicians, counts grants once, and refuses every change once ended', () => {
    const { s, events } = session();
    add(s, 'customer', 'join');
    for (let i = 0; i < MAX_TECHNICIANS; i++) expect(add(s, 'technician', i === 0 ? 'pickup' : 'attend').ok).toBe(true);
    expect(add(s, 'technician', 'attend')).toMatchObject({ ok: false, code: 'E_SESSION_FULL' });
    s.apply({ kind: 'grant', power: 'view' });
    s.apply({ kind: 'grant', power: 'view' });
    expect(events.filter((e) => e.type === 'power_granted')).toHaveLength(1);
    s.apply({ kind: 'end', reason: 'customer_ended' });
    expect(s.apply({ kind: 'grant', power: 'control' })).toMatchObject({ ok: false, code: 'E_SESSION_CLOSED' });
    expect(s.grants.has('control')).toBe(false);
  });

  it('knows when it misses a side it needs: the customer, or every technician', () => {
    const { s, tick } = session();
    add(s, 'customer', 'join');
    add(s, 'technician', 'pickup');
    s.everPaired = true;
    const conn = {} as never;
    s.apply({ kind: 'back', id: 'c1', conn, resumeHash: 'h1' });
    s.apply({ kind: 'back', id: 't1', conn, resumeHash: 'h2' });
    expect(s.suspendedSince).toBeNull();
    tick(500);
    s.apply({ kind: 'lost', id: 't1' });
    expect(s.suspendedSince).toBe(1500);
    expect(s.participants.get('t1')!.resumeHash).toBe('h2');
  });
});
