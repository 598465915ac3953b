import { describe, expect, it } from 'vitest';
import type tls from 'node:tls';
import { eventually, sleep } from '../../../../gateway/test/e2e/events.js';
import { bytesSource } from '../files/file-sources.js';
import { FileTransfers } from '../files/file-transfers.js';
import { negotiatePath } from './negotiate-path.js';
import { PATH_CONTROL_CHANNEL, PathControl } from './path-framing.js';
import { pathsTestGateway } from './paired-session.test-helper.js';
import { SessionPaths } from './session-paths.js';
import { sessionSignals } from './signal-channel.js';

// A real session (loopback gateway) whose two parties move relay → direct TCP → relay while both keep sending.
const env = pathsTestGateway();

describe('SessionPaths: moving a session between paths', () => {
  it('no reliable message is lost or repeated across a move to a direct path and a fallback to the relay', async () => {
    const { customer, tech } = await env.paired();
    // The customer grants control (input, 0x02); file (0x03) stays refused, by the gateway and on the direct path.
    const granted = new Promise((r) => tech.on('grants', r));
    customer.grant('control');
    await granted;
    const atCustomer = new SessionPaths(customer, sessionSignals(customer), { mayReceive: (ch) => ch !== 0x03 });
    const atTech = new SessionPaths(tech, sessionSignals(tech), { maySend: (ch) => ch !== 0x03 });
    const got = { customer: [] as string[], tech: [] as string[] };
    atCustomer.on('message', (ch, p) => got.customer.push(`${ch}:${new TextDecoder().decode(p)}`));
    atTech.on('message', (ch, p) => got.tech.push(`${ch}:${new TextDecoder().decode(p)}`));
    const fallbacks: { reason: string; ms: number }[] = [];
    let fallbackAt = 0;
    atCustomer.on('fallback', (f) => {
      fallbacks.push(f);
      fallbackAt = performance.now();
    });
    const negotiation = Promise.all([
      negotiatePath({ role: 'customer', signals: sessionSignals(customer), hostAddresses: ['127.0.0.1'] }),
      negotiatePath({ role: 'technician', signals: sessionSignals(tech), hostAddresses: ['127.0.0.1'] }),
    ]);
    const N = 300;
    let diedAt = 0;
    for (let i = 0; i < N; i++) {
      atTech.send(i % 2 ? 0x04 : 0x02, new TextEncoder().encode(`t${i}`)); // two reliable channels, one order
      atCustomer.send(0x04, new TextEncoder().encode(`c${i}`));
      if (i === 100) {
        const [c, k] = await negotiation;
        expect(`${c.kind} ${k.kind}`).toBe("tcp tcp");
        atCustomer.use(c.path!);
        atTech.use(k.path!);
      }
      if (i === 200) {
        // The direct path goes silent under traffic (as when a NAT forgets the mapping): the technician's end
        // stops reading and answering; the customer's keep-alive notices and falls back to the relay.
        diedAt = performance.now();
        const techPath = (atTech as unknown as { path: { socket: tls.TLSSocket; keepalive: { stop(): void } } }).path;
        techPath.keepalive.stop();
        techPath.socket.pause();
        techPath.socket.write = () => true;
        const customerFellBack = new Promise<void>((r) => atCustomer.on('fallback', () => r()));
        void customerFellBack.then(() => atTech.useRelay('peer fell back'));
      }
      if (i % 20 === 0) await sleep(5);
    }
    const all = await eventually(() => got.customer.length === N && got.tech.length === N, 10_000);
    expect(all).toBe(true);
    expect(got.customer).toEqual(Array.from({ length: N }, (_, i) => `${i % 2 ? 4 : 2}:t${i}`));
    expect(got.tech).toEqual(Array.from({ length: N }, (_, i) => `4:c${i}`));
    expect(atTech.send(0x03, new Uint8Array(1))).toBe('dropped'); // not granted: never numbered, never sent
    expect([atCustomer.kind, atTech.kind]).toEqual(['relay', 'relay']);
    expect(fallbacks.map((f) => f.reason)).toEqual(['keepalive timeout']);
    expect(fallbackAt - diedAt).toBeLessThan(2000); // back on the relay within 2 s of the path going silent
    // The moves really overlapped: some messages arrived twice (on two paths) and were dropped once.
    expect(atCustomer.duplicatesDropped + atTech.duplicatesDropped).toBeGreaterThan(0);
    atCustomer.close();
    atTech.close();
    customer.end();
  });

  it('a peer without the layer (the web console) gets plain messages both ways: numbering waits for its `able`', async () => {
    const { customer, tech } = await env.paired();
    const atTech = new SessionPaths(tech, sessionSignals(tech));
    const plainAtCustomer: string[] = [];
    customer.on('data', (ch, p) => ch === 0x04 && plainAtCustomer.push(new TextDecoder().decode(p)));
    const atTechGot: string[] = [];
    atTech.on('message', (ch, p) => atTechGot.push(`${ch}:${new TextDecoder().decode(p)}`));
    await sleep(200); // the customer never answers the layer's `able`
    atTech.send(0x04, new TextEncoder().encode('plain to you'));
    customer.send(0x04, new TextEncoder().encode('plain to me'));
    expect(await eventually(() => plainAtCustomer.length === 1 && atTechGot.length === 1)).toBe(true);
    expect([plainAtCustomer, atTechGot, atTech.numbered]).toEqual([['plain to you'], ['4:plain to me'], false]);
    atTech.close();
    customer.end();
  });

  it('files still cross while both ends number their messages: chunks stay plain on the relay, no layer takes them', async () => {
    const { customer, tech } = await env.paired();
    const granted = new Promise((r) => tech.on('grants', r));
    customer.grant('files');
    await granted;
    const atCustomer = new SessionPaths(customer, sessionSignals(customer));
    const atTech = new SessionPaths(tech, sessionSignals(tech));
    expect(await eventually(() => atCustomer.numbered && atTech.numbered)).toBe(true);
    const received: Uint8Array[] = [];
    const passedThrough: Uint8Array[] = []; // what the layer hands on for channel 0x03: the chunks as they came
    atCustomer.on('message', (ch, p) => ch === 0x03 && passedThrough.push(p.slice(4)));
    const atCustomerFiles = new FileTransfers(customer);
    atCustomerFiles.on('offer', (file) => file.accept({ write: (d) => void received.push(d.slice()), finish: () => undefined }));
    const bytes = new Uint8Array(300_000).map((_, i) => i * 7);
    const outcome = await new FileTransfers(tech).offer(bytesSource('notes.bin', bytes)).done;
    expect(outcome).toMatchObject({ ok: true });
    expect(Buffer.concat(received).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.concat(passedThrough).equals(Buffer.from(bytes))).toBe(true);
    expect((atCustomer as unknown as { early: Map<number, unknown> }).early.size).toBe(0); // nothing held back as "out of order"
    atTech.send(0x04, new TextEncoder().encode('numbered after the file'));
    const got: string[] = [];
    atCustomer.on('message', (ch, p) => ch === 0x04 && got.push(new TextDecoder().decode(p)));
    expect(await eventually(() => got.length === 1)).toBe(true);
    expect(got).toEqual(['numbered after the file']);
    atCustomer.close();
    atTech.close();
    customer.end();
  });

  it('on a direct path the customer side enforces its grants: an ungranted channel is refused there, later messages still flow', async () => {
    const { customer, tech } = await env.paired();
    const [c, k] = await Promise.all([
      negotiatePath({ role: 'customer', signals: sessionSignals(customer), hostAddresses: ['127.0.0.1'] }),
      negotiatePath({ role: 'technician', signals: sessionSignals(tech), hostAddresses: ['127.0.0.1'] }),
    ]);
    const atCustomer = new SessionPaths(customer, sessionSignals(customer), { mayReceive: (ch) => ch === 0x04 });
    const atTech = new SessionPaths(tech, sessionSignals(tech)); // a technician that ignores the grants
    const got: string[] = [];
    atCustomer.on('message', (ch, p) => got.push(`${ch}:${new TextDecoder().decode(p)}`));
    atCustomer.use(c.path!);
    atTech.use(k.path!);
    atTech.send(0x02, new TextEncoder().encode('keys without a grant'));
    atTech.send(0x04, new TextEncoder().encode('after'));
    expect(await eventually(() => got.length === 1)).toBe(true);
    expect(got).toEqual(['4:after']);
    expect(atCustomer.refusedOnDirectPath).toBe(1);
    atCustomer.close();
    atTech.close();
    customer.end();
  });

  /**
   * The technician's end of the direct path drops every other keep-alive pong (its answers to the customer's
   * pings) or sends them 600 ms late (later than a loaded relay, earlier than "lost"): the path still works
   * but is worse than the relay. The customer's judge
   * leaves it, the technician follows on the customer's announcement, and traffic on both reliable directions
   * goes on across the move without a message lost or repeated.
   */
  async function judgedFallback(spoil: 'drop' | 'delay') {
    const { customer, tech } = await env.paired();
    const atCustomer = new SessionPaths(customer, sessionSignals(customer));
    const atTech = new SessionPaths(tech, sessionSignals(tech));
    const got = { customer: [] as string[], tech: [] as string[] };
    atCustomer.on('message', (_, p) => got.customer.push(new TextDecoder().decode(p)));
    atTech.on('message', (_, p) => got.tech.push(new TextDecoder().decode(p)));
    const fallbacks = { customer: [] as string[], tech: [] as string[] };
    atCustomer.on('fallback', (f) => fallbacks.customer.push(f.reason));
    atTech.on('fallback', (f) => fallbacks.tech.push(f.reason));
    const [c, k] = await Promise.all([
      negotiatePath({ role: 'customer', signals: sessionSignals(customer), hostAddresses: ['127.0.0.1'] }),
      negotiatePath({ role: 'technician', signals: sessionSignals(tech), hostAddresses: ['127.0.0.1'] }),
    ]);
    // Wrap the technician's path writer: every other pong dropped, or every pong held back 600 ms.
    const techPath = k.path as unknown as { write(channel: number, payload: Uint8Array): boolean };
    const write = techPath.write.bind(techPath);
    let pongs = 0;
    techPath.write = (channel, payload) => {
      if (channel !== PATH_CONTROL_CHANNEL || payload[0] !== PathControl.pong) return write(channel, payload);
      if (spoil === 'drop') return pongs++ % 2 ? true : write(channel, payload);
      setTimeout(() => write(channel, payload), 600);
      return true;
    };
    atCustomer.use(c.path!);
    atTech.use(k.path!);
    // Both keep sending until both are back on the relay (bounded: 30 s, then the assertions say what failed).
    let n = 0;
    const deadline = performance.now() + 30_000;
    while ((atCustomer.kind !== 'relay' || atTech.kind !== 'relay' || n < 20) && performance.now() < deadline) {
      atTech.send(0x04, new TextEncoder().encode(`t${n}`));
      atCustomer.send(0x04, new TextEncoder().encode(`c${n}`));
      n++;
      await sleep(50);
    }
    for (let i = 0; i < 20; i++, n++) {
      atTech.send(0x04, new TextEncoder().encode(`t${n}`));
      atCustomer.send(0x04, new TextEncoder().encode(`c${n}`));
    }
    const total = n;
    expect(await eventually(() => got.customer.length >= total && got.tech.length >= total, 10_000)).toBe(true);
    await sleep(300); // a repeat would come now
    expect(got.customer).toEqual(Array.from({ length: total }, (_, i) => `t${i}`));
    expect(got.tech).toEqual(Array.from({ length: total }, (_, i) => `c${i}`));
    expect([atCustomer.kind, atTech.kind]).toEqual(['relay', 'relay']);
    const metric = (await env.t.gateway.metrics.registry.getSingleMetricAsString('relaydesk_path_fallbacks_total')).split('\n').filter((l) => !l.startsWith('#'));
    atCustomer.close();
    atTech.close();
    customer.end();
    return { fallbacks, metric };
  }

  it('a lossy direct path (half the pongs lost) is left for the relay with the reason loss; nothing lost or repeated', async () => {
    const { fallbacks, metric } = await judgedFallback('drop');
    expect(fallbacks).toEqual({ customer: ['loss'], tech: ['peer: loss'] });
    expect(metric.some((l) => l.startsWith('relaydesk_path_fallbacks_total{from="tcp",reason="loss"'))).toBe(true);
  }, 45_000);

  it('a slow direct path (pongs 600 ms late) is left as worse than the relay; nothing lost or repeated', async () => {
    const { fallbacks, metric } = await judgedFallback('delay');
    expect(fallbacks).toEqual({ customer: ['worse than relay'], tech: ['peer: worse than relay'] });
    expect(metric.some((l) => l.startsWith('relaydesk_path_fallbacks_total{from="tcp",reason="worse_than_relay"'))).toBe(true);
  }, 45_000);
});
