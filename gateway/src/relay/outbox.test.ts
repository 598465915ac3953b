import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';
import { newParty, type PartySocket } from './party.js';

/** A socket that behaves like uWS: any use after its close throws, cork batches. */
function fakeSocket() {
  const party = newParty('technician', '127.0.0.1', 0);
  const log: string[] = [];
  let closed = false;
  const guard = () => {
    if (closed) throw new Error('Invalid access of closed uWS.WebSocket/SSLWebSocket.');
  };
  const ws: PartySocket = {
    getUserData: () => party,
    send: (m) => (guard(), log.push(typeof m === 'string' ? m : `bin:${(m as Uint8Array).byteLength}`), 1),
    getBufferedAmount: () => (guard(), 0),
    end: (code) => {
      guard();
      log.push(`end:${code}`);
      closed = true;
      party.phase = 'closed';
    },
    cork: (cb) => (guard(), log.push('cork'), cb()),
  };
  return { ws, log, party };
}

describe('Outbox', () => {
  it('keeps every copied frame intact until its flush, over several arenas in one turn, and reuses them after', () => {
    const box = new Outbox(() => {}, () => {});
    const frame = (i: number) => new Uint8Array(64 << 10).fill(i & 0xff);
    // 6 × 4 MiB of 64 KiB frames in one turn: more than the arenas kept.
    const copies = Array.from({ length: 384 }, (_, i) => box.copy(frame(i)));
    expect(copies.every((c, i) => c.byteLength === 64 << 10 && c[0] === (i & 0xff) && c[c.byteLength - 1] === (i & 0xff))).toBe(true);
    box.flush();
    const again = box.copy(frame(7));
    expect(again.buffer).toBe(copies[0]!.buffer); // the first arena again, not a new one
    expect(again[0]).toBe(7);
  });

  it('writes in order, corks runs to one socket, and skips a socket once it is closed', () => {
    const outcomes: string[] = [];
    const errors: unknown[] = [];
    const sent: [number, number, number][] = [];
    const box = new Outbox((_e, o) => outcomes.push(o), (e) => errors.push(e), (tag, n, bytes) => sent.push([tag, n, bytes]));
    const a = fakeSocket();
    const b = fakeSocket();
    box.notice(a.ws, 'state');
    box.deliver(a.ws, new Uint8Array(3), true, 'control', 4);
    box.deliver(b.ws, 'chat', false, 'control', -1);
    box.close(a.ws, 1000, 'bye');
    box.deliver(a.ws, new Uint8Array(1), true, 'media', 1); // after the close: never written
    box.flush();
    expect(a.log).toEqual(['cork', 'state', 'bin:3', 'end:1000']); // one corked run per socket, in its order
    expect(b.log).toEqual(['chat']);
    expect(outcomes).toEqual(['gone']); // a's write after its close
    expect(sent).toEqual([[4, 1, 3]]); // written relayed frames, counted once per flush and tag (b's chat has no tag)
    expect(errors).toEqual([]);
    expect([a.party.pendingBytes, b.party.pendingBytes]).toEqual([0, 0]); // every queued byte accounted for
  });

  it('never corks a socket that closed before the flush, and a throwing write only costs that socket', () => {
    const errors: unknown[] = [];
    const outcomes: string[] = [];
    const box = new Outbox((_e, o) => outcomes.push(o), (e) => errors.push(e));
    const gone = fakeSocket();
    const fine = fakeSocket();
    box.deliver(gone.ws, 'x', false, 'control', -1);
    box.deliver(gone.ws, 'y', false, 'control', -1);
    box.deliver(fine.ws, 'z', false, 'control', -1);
    gone.ws.end(1006, ''); // closed under the queue, as when the peer hangs up first
    expect(() => box.flush()).not.toThrow();
    expect(outcomes).toEqual(['gone', 'gone']);
    expect(fine.log).toEqual(['z']);

    // A bug that uses a dead socket without its phase saying so is reported, and the flush goes on.
    const liar = fakeSocket();
    liar.ws.end(1006, '');
    liar.party.phase = 'paired';
    const after = fakeSocket();
    box.notice(liar.ws, 'a');
    box.notice(after.ws, 'b');
    box.flush();
    expect(errors).toHaveLength(1);
    expect(after.log).toEqual(['b']);
  });
});

describe('Outbox arena', () => {
  it('copies frames into memory that stays intact until the flush has written them, then reuses it', () => {
    const box = new Outbox(() => {}, (e) => {
      throw e;
    });
    const written: number[][] = [];
    const a = fakeSocket();
    a.ws.send = (m) => (written.push([...(m as Uint8Array)]), 1);
    const first = box.copy(new Uint8Array([1, 2, 3]));
    const second = box.copy(new Uint8Array([4, 5]));
    box.deliver(a.ws, first, true, 'bulk', 4);
    box.deliver(a.ws, second, true, 'bulk', 4);
    box.flush();
    expect(written).toEqual([[1, 2, 3], [4, 5]]);
    const third = box.copy(new Uint8Array([9]));
    expect(third.buffer).toBe(first.buffer); // the same memory again, from its start
    expect(third.byteOffset).toBe(first.byteOffset);
    const big = box.copy(new Uint8Array(300 << 10));
    expect(big.buffer).not.toBe(first.buffer); // large frames get their own copy
  });

  it('a write queued for a socket while its batch is being written goes out in the next flush, in order', () => {
    const box = new Outbox((entry) => box.close(entry.ws, 4429, 'slow'), () => {});
    const a = fakeSocket();
    let refuse = true;
    a.ws.send = (m) => (a.log.push(typeof m === 'string' ? m : 'bin'), refuse ? 2 : 1);
    box.deliver(a.ws, new Uint8Array(1), true, 'bulk', 4); // refused: the listener queues a close
    box.notice(a.ws, 'after');
    box.flush();
    expect(a.log).toEqual(['cork', 'bin', 'after']);
    refuse = false;
    box.flush();
    expect(a.log).toEqual(['cork', 'bin', 'after', 'end:4429']);
  });
});
