import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../gateway/test/gateway-harness.js';
import { eventually, nextEvent } from '../../../gateway/test/e2e/events.js';
import { freeLoopbackPort, startSquid, type Squid } from '../../../ops/netlab/squid.js';
import { proxyFromEnvironment } from './connect-proxy.js';
import { RelaydeskClient, nodeTransport } from './node.js';

// Through Debian's squid (a real CONNECT proxy with Basic authentication), on loopback.
let t: TestGateway;
let squid: Squid;
let pw: string;
const proxyUser = { user: 'carol', password: 'p@ss:word/1' }; // characters that need URL escaping

beforeAll(async () => {
  t = await startTestGateway();
  pw = await t.addTechnician('tom', 'acme');
  squid = await startSquid({ host: '127.0.0.1', port: await freeLoopbackPort(), connectPorts: [t.gateway.port], users: { [proxyUser.user]: proxyUser.password } });
});
afterAll(async () => {
  for (const transport of transports) transport.close();
  await squid?.stop();
  await t?.stop();
});

const transports: { close(): void }[] = [];
const viaProxy = (proxy: string) => {
  const transport = nodeTransport({ baseUrl: t.baseUrl, ca: t.gateway.caPem, proxy });
  transports.push(transport);
  return new RelaydeskClient(transport, { handshakeTimeoutMs: 5000 });
};

describe('HTTP CONNECT proxy (SDK node transport)', () => {
  it('API calls and both session WebSockets go through the proxy, TLS verified end to end', async () => {
    const proxy = squid.url(proxyUser);
    const tech = viaProxy(proxy);
    await tech.login('tom', pw);
    const s = await tech.createSession();
    const customer = await viaProxy(proxy).joinSession({ pin: s.pin }, 'Pat');
    const session = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    const heard = nextEvent(customer, 'chat');
    session.chat('hello through squid');
    expect((await heard).text).toBe('hello through squid');
    const closed = nextEvent(session, 'close');
    customer.end();
    await closed;
    for (const transport of transports.splice(0)) transport.close();
    // Squid tunnelled it all: it logs a tunnel when it ends; one per WebSocket and at least one for the API.
    const tunnels = async () => (await squid.accessLog()).filter((l) => l.includes(`CONNECT 127.0.0.1:${t.gateway.port}`) && l.includes(proxyUser.user));
    expect(await eventually(async () => (await tunnels()).length >= 3)).toBe(true);
  });

  it('wrong or missing proxy credentials: E_PROXY_AUTH, and the password is never in the message', async () => {
    const wrong = viaProxy(squid.url({ user: proxyUser.user, password: 'not-it-secret' }));
    const err = await wrong.login('tom', pw).catch((e: Error & { code?: string; status?: number }) => e);
    expect(err).toMatchObject({ code: 'E_PROXY_AUTH', status: 407 });
    expect((err as Error).message).not.toContain('not-it-secret');
    await expect(viaProxy(squid.url()).login('tom', pw)).rejects.toMatchObject({ code: 'E_PROXY_AUTH', status: 407 });
  });

  it('a port the proxy does not allow: E_PROXY_REFUSED; no proxy listening: E_PROXY_UNREACHABLE', async () => {
    const other = nodeTransport({ baseUrl: `https://127.0.0.1:${t.gateway.adminPort}`, ca: t.gateway.caPem, proxy: squid.url(proxyUser) });
    await expect(new RelaydeskClient(other).login('tom', pw)).rejects.toMatchObject({ code: 'E_PROXY_REFUSED', status: 403 });
    other.close();
    await expect(viaProxy(`http://127.0.0.1:${await freeLoopbackPort()}`).login('tom', pw)).rejects.toMatchObject({ code: 'E_PROXY_UNREACHABLE' });
    expect(() => nodeTransport({ baseUrl: t.baseUrl, proxy: 'socks5://127.0.0.1:1080' })).toThrow(/only http:\/\/ proxies/);
  });

  it('HTTPS_PROXY (or https_proxy) names the proxy', () => {
    expect(proxyFromEnvironment({ HTTPS_PROXY: 'http://a:1' })).toBe('http://a:1');
    expect(proxyFromEnvironment({ https_proxy: 'http://b:2' })).toBe('http://b:2');
    expect(proxyFromEnvironment({})).toBeUndefined();
  });
});
