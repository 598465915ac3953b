import tls from 'node:tls';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BIRTHDAY_MAPPINGS, BIRTHDAY_PROBES, birthdayHitChance, birthdayPunch, randomPorts } from './tcp-birthday.js';
import { createPeerIdentity, matchesFingerprint } from './peer-identity.js';

// The punch itself needs two NATs (ops/netlab/netlab.test.ts runs it); here: its odds, its bounds, its TLS.
describe('birthday punch', () => {
  it('the default sizes make a miss rarer than 1 in 3000, and probe ports are distinct and in the NAT range', () => {
    expect(1 - birthdayHitChance(BIRTHDAY_MAPPINGS, BIRTHDAY_PROBES)).toBeLessThan(1 / 3000);
    expect(birthdayHitChance(256, 256)).toBeLessThan(0.7); // why not 256 each way: a third of the runs would miss
    const ports = randomPorts(BIRTHDAY_PROBES);
    expect(new Set(ports).size).toBe(BIRTHDAY_PROBES);
    expect(ports.every((p) => p >= 1024 && p <= 65535)).toBe(true);
  });

  it('opens exactly its count of connections, hands each over with TLS, and ends within its window', async () => {
    const [ours, theirs] = await Promise.all([createPeerIdentity(), createPeerIdentity()]);
    const server = tls.createServer({ cert: theirs.certPem, key: theirs.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const taken: tls.TLSSocket[] = [];
    const started = performance.now();
    const punch = birthdayPunch(ours, { side: 'mappings', peer: { address: '127.0.0.1', port } }, true, (s) => taken.push(s), { mappings: 5, windowMs: 1500 });
    await punch.done;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(punch.opened).toBe(5);
    expect(taken.length).toBe(5);
    expect(taken.every((s) => matchesFingerprint(s.getPeerX509Certificate()?.raw, theirs.fingerprint))).toBe(true);
    for (const s of taken) s.destroy();
    server.close();
  });

  it('probes leave from the one announced port; stop() ends the rest at once', async () => {
    const identity = await createPeerIdentity();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '0.0.0.0', r));
    const localPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    // Nothing listens on 127.0.0.1's random ports: every probe is refused at once, none is taken.
    const punch = birthdayPunch(identity, { side: 'probes', localPort, peerAddress: '127.0.0.1' }, false, () => expect.unreachable(), { probes: 40, windowMs: 5000 });
    setTimeout(() => punch.stop(), 100);
    const started = performance.now();
    await punch.done;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(punch.opened).toBe(40);
  });
});
