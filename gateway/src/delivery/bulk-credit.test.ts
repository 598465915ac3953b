import { describe, expect, it } from 'vitest';
import { BulkCredit } from './bulk-credit.js';

/** Receivers as forwarding passes them (participants: only their id matters here). */
const at = (...ids: string[]) => ids.map((id) => ({ id }));

function credit(window = 100) {
  const grants: [string, number][] = [];
  const c = new BulkCredit(window, (id, bytes) => grants.push([id, bytes]));
  return { c, grants };
}

describe('BulkCredit', () => {
  it('holds a sender to one window ahead of its slowest receiver', () => {
    const { c, grants } = credit();
    c.startSender('c1');
    expect(grants).toEqual([['c1', 100]]);
    expect(c.allow('c1', 60, at('t1', 't2'))).toBe(true);
    expect(c.allow('c1', 40, at('t1', 't2'))).toBe(true);
    expect(c.allow('c1', 1, at('t1', 't2'))).toBe(false); // no credit left
    c.consumed('t1', 100);
    expect(grants).toHaveLength(1); // t2 has not read anything: no new credit
    c.consumed('t2', 30);
    expect(grants[1]).toEqual(['c1', 30]);
    expect(c.allow('c1', 30, at('t1', 't2'))).toBe(true);
    expect(c.allow('c1', 1, at('t1', 't2'))).toBe(false);
  });

  it('attributes a receiver’s consumed bytes to their senders in the order it got them', () => {
    const { c, grants } = credit();
    c.startSender('t1');
    c.startSender('t2');
    grants.length = 0;
    c.allow('t1', 50, at('c1'));
    c.allow('t2', 80, at('c1'));
    c.allow('t1', 50, at('c1'));
    c.consumed('c1', 70); // all of t1's first 50, then 20 of t2's 80
    expect(grants).toEqual([
      ['t1', 50],
      ['t2', 20],
    ]);
  });

  it('a receiver that goes away (or reconnects) no longer holds senders back; consuming more than was sent is ignored', () => {
    const { c, grants } = credit();
    c.startSender('c1');
    c.allow('c1', 100, at('t1', 't2'));
    c.consumed('t1', 1_000_000);
    expect(grants).toHaveLength(1);
    c.forget('t2');
    expect(grants[1]).toEqual(['c1', 100]);
    c.allow('c1', 100, at('t1'));
    c.restartReceiver('t1');
    expect(grants[2]).toEqual(['c1', 100]);
  });

  it('a sender that reconnects starts a fresh window; what the old connection had in flight no longer counts', () => {
    const { c, grants } = credit();
    c.startSender('c1');
    c.allow('c1', 100, at('t1'));
    c.startSender('c1');
    expect(grants).toEqual([
      ['c1', 100],
      ['c1', 100],
    ]);
    expect(c.allow('c1', 100, at('t1'))).toBe(true);
    c.consumed('t1', 100); // the old connection's bytes: credit for the old epoch, nothing for the new one
    expect(grants).toHaveLength(2);
    c.consumed('t1', 100);
    expect(grants[2]).toEqual(['c1', 100]);
  });
});
