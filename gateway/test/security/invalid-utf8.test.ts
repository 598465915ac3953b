// An invalid UTF-8 text frame (issue 13). uWS.js 20.30 validates text frames itself and drops the TCP
// connection before the gateway sees the frame (no close frame: the client sees 1006; docs/security.md).
// What the gateway can and does guarantee: 1006 means "may go on", so the session is kept for a resume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { nextEvent } from '../e2e/events.js';
import { rawSocket } from '../e2e/raw-socket.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ resumeGraceSeconds: '30' });
});
afterAll(() => t?.stop());

describe('an invalid UTF-8 text frame', () => {
  it('drops only that connection; the session waits for the sender to resume', async () => {
    const tech = t.client();
    await tech.login('ivy', await t.addTechnician('ivy', 'acme'));
    const s = await tech.createSession();
    const raw = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    await raw.opened;
    raw.ws.send(JSON.stringify({ v: 1, type: 'join', pin: s.pin, name: 'Una' }));
    const technician = await tech.pickUp(s.guid);
    const peer = nextEvent(technician, 'peer');
    // 0xC3 0x28 is not UTF-8; `ws` sends the bytes as a text frame without checking them.
    raw.ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
    const closed = await raw.closed;
    expect(closed.code).toBe(1006); // what uWS 20.30 does; a future uWS that sends 1007 changes this line
    expect((await peer)[0]).toBe('reconnecting');
    expect((await tech.getSession(s.guid)).state).toBe('active');
  });
});
