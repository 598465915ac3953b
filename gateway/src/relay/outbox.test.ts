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
  it('writes in order, corks runs to one socket, and skips a socket once it is closed', () => {
    const outcomes: string[] = [];
    const errors: unknown[] = [];
    const box = new Outbox((_e, o) => outcomes.push(o), (e) => errors.push(e));
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
    expect(outcomes).toEqual(['sent', 'gone', 'sent']); // a's writes (the last one after its close), then b's
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
    expect(outcomes).toEqual(['gone', 'gone', 'sent']);
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
