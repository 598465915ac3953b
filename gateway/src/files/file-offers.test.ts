import { describe, expect, it } from 'vitest';
import { MAX_OPEN_FILE_OFFERS } from '../../../protocol/file-transfer.js';
import { FileOffers } from './file-offers.js';

describe('FileOffers: the lifecycle of a session’s file offers', () => {
  it('offer → accept → chunks within the size → done → result; only the right side may take each step', () => {
    const f = new FileOffers();
    expect(f.offer(1, 't1', 'c1', 'a.txt', 10)).toMatchObject({ ok: true });
    expect(f.chunk('t1', 1, 3)).toMatchObject({ ok: false, code: 'E_FILE_NOT_ACCEPTED' });
    expect(f.accept('t1', 1)).toMatchObject({ ok: false, code: 'E_FILE_UNKNOWN' }); // the sender cannot accept its own
    expect(f.accept('c1', 1)).toMatchObject({ ok: true });
    expect(f.chunk('c1', 1, 3)).toMatchObject({ ok: false, code: 'E_FILE_NOT_ACCEPTED' }); // the receiver sends no chunks
    expect(f.chunk('t1', 1, 6)).toMatchObject({ ok: true });
    expect(f.done('t1', 1)).toMatchObject({ ok: false, code: 'E_FILE_SIZE_MISMATCH' }); // 6 of 10: stopped
    expect(f.size).toBe(0);

    f.offer(2, 'c1', 't2', 'b.txt', 4);
    f.accept('t2', 2);
    f.chunk('c1', 2, 4);
    expect(f.result('t2', 2)).toMatchObject({ ok: false, code: 'E_BAD_MESSAGE' }); // not sent yet
    expect(f.done('c1', 2)).toMatchObject({ ok: true });
    expect(f.chunk('c1', 2, 1)).toMatchObject({ ok: false, code: 'E_FILE_NOT_ACCEPTED' }); // nothing after done
    expect(f.result('t2', 2)).toMatchObject({ ok: true });
    expect(f.size).toBe(0);
  });

  it('past the declared size the offer closes (its receiver must be told); ids are unique; slots are bounded and freed', () => {
    const f = new FileOffers();
    f.offer(1, 't1', 'c1', 'a', 5);
    f.accept('c1', 1);
    const over = f.chunk('t1', 1, 6);
    expect(over).toMatchObject({ ok: false, code: 'E_FILE_SIZE_MISMATCH', closed: { id: 1, to: 'c1' } });
    expect(f.chunk('t1', 1, 1)).toMatchObject({ ok: false, code: 'E_FILE_UNKNOWN' });
    for (let id = 10; id < 10 + MAX_OPEN_FILE_OFFERS; id++) expect(f.offer(id, 't1', 'c1', 'x', 1).ok).toBe(true);
    expect(f.offer(10, 'c1', 't1', 'x', 1)).toMatchObject({ ok: false, code: 'E_CONFLICT' });
    expect(f.offer(99, 't1', 'c1', 'x', 1)).toMatchObject({ ok: false, code: 'E_FILE_LIMIT' });
    expect(f.cancel('t2', 10)).toMatchObject({ ok: false, code: 'E_FILE_UNKNOWN' }); // not a party to it
    expect(f.cancel('c1', 10)).toMatchObject({ ok: true });
    expect(f.offer(99, 't1', 'c1', 'x', 1).ok).toBe(true);
    expect(f.closeAll('c9')).toEqual([]);
    expect(f.closeAll('c1')).toHaveLength(MAX_OPEN_FILE_OFFERS);
    expect(f.size).toBe(0);
  });
});
