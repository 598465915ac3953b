// Malformed HTTP on the admin listener (/healthz, /readyz, /metrics) gets an answer at once and a close
// (issue 13). The main TLS port runs on uWS.js 20.30, which cannot answer these: see docs/security.md.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t?.stop());

/** Sends raw bytes to the admin port; resolves with the status line and whether the server closed within 3 s. */
function send(bytes: string): Promise<{ status: string; closed: boolean }> {
  return new Promise((resolve) => {
    let out = '';
    const socket = connect(t.gateway.adminPort, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: out.split('\r\n')[0] ?? '', closed });
    };
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
  });
}

describe('malformed HTTP on the admin listener', () => {
  it('answers an HTTP/1.0 health check (HAProxy httpchk) and closes', async () => {
    expect(await send('GET /healthz HTTP/1.0\r\n\r\n')).toEqual({ status: 'HTTP/1.1 200 OK', closed: true });
  });

  it.each([
    ['HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['HTTP/0.9', 'GET /healthz\r\n\r\n', 'HTTP/1.1 505 HTTP Version Not Supported'],
    ['a folded header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['garbage', '\u0000\u0001garbage\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['HTTP/2.0 in a request line', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 'HTTP/1.1 505 HTTP Version Not Supported'],
    ['a 1 MiB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
    ['200 headers of 100 bytes', `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(90)}\r\n`).join('')}\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
  ])('answers %s with an error status at once and closes', async (_what, bytes, status) => {
    expect(await send(bytes)).toEqual({ status, closed: true });
  });
});
