import { describe, expect, it } from 'vitest';
import { SessionConnection } from './session-connection.js';
import type { SocketLike } from './transport.js';

/** A socket that records what the SDK sends and lets the test play the gateway. */
function fakeSocket() {
  const sent: Record<string, unknown>[] = [];
  const socket = {
    readyState: 1,
    binaryType: '',
    bufferedAmount: 0,
    send: (data: unknown) => void sent.push(JSON.parse(String(data))),
    close() {},
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  } as unknown as SocketLike;
  const deliver = (msg: object) => socket.onmessage!({ data: JSON.stringify({ v: 1, ...msg }) });
  return { socket, sent, deliver };
}

describe('SessionConnection chat ordering', () => {
  it('delivers each line once and in order: a line that overtakes a lost one waits for the replay', () => {
    const { socket, sent, deliver } = fakeSocket();
    const conn = new SessionConnection(() => socket);
    const got: string[] = [];
    conn.on('chat', (m) => got.push(m.text));
    deliver({ type: 'state', state: 'active', guid: 'g' });
    deliver({ type: 'chat', from: 'technician', text: 't1', at: 0, seq: 1 });
    // t2 was lost while we were away; t3 arrives first, then the sender's replay: t2, t3.
    deliver({ type: 'chat', from: 'technician', text: 't3', at: 0, seq: 3 });
    deliver({ type: 'chat', from: 'technician', text: 't3', at: 0, seq: 3 });
    deliver({ type: 'chat', from: 'technician', text: 't2', at: 0, seq: 2 });
    deliver({ type: 'chat', from: 'technician', text: 't3', at: 0, seq: 3 });
    deliver({ type: 'chat', from: 'technician', text: 't1', at: 0, seq: 1 });
    expect(got).toEqual(['t1', 't2', 't3']);
    // One replay request for the gap, asking for everything after line 1.
    expect(sent.filter((m) => m.type === 'ack' && m.sync)).toEqual([{ v: 1, type: 'ack', seq: 1, sync: true }]);
  });

  it('keeps sent lines until acknowledged and replays the rest when asked', () => {
    const { socket, sent, deliver } = fakeSocket();
    const conn = new SessionConnection(() => socket);
    deliver({ type: 'state', state: 'active', guid: 'g' });
    conn.chat('a');
    conn.chat('b');
    conn.chat('c');
    deliver({ type: 'ack', seq: 1 });
    sent.length = 0;
    deliver({ type: 'ack', seq: 1, sync: true });
    expect(sent).toEqual([
      { v: 1, type: 'chat', text: 'b', seq: 2 },
      { v: 1, type: 'chat', text: 'c', seq: 3 },
    ]);
  });
});
