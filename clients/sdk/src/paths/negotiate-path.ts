import type { DirectPath, PathKind } from './direct-path.js';
import { hostAddresses } from './host-candidates.js';
import { parsePathSignal, type PathSignal } from '../../../../protocol/path-signal.js';
import { createPeerIdentity } from './peer-identity.js';
import { reflexiveAddress } from './stun-client.js';
import type { SignalChannel } from './signal-channel.js';
import { TcpPath, TcpPathAttempt } from './tcp-path.js';
import { birthdayPunch, type BirthdayOptions, type BirthdayRole } from './tcp-birthday.js';
import { SIMULTANEOUS_OPEN_MS, reserveLocalPort } from './tcp-simultaneous-open.js';
import { UdpPathAttempt, type RtcPeerConnectionConstructor } from './udp-path.js';

export interface NegotiateOptions {
  /** The technician controls (makes the choice and the WebRTC offer), as ICE's controlling agent. */
  role: 'customer' | 'technician';
  signals: SignalChannel;
  /** The gateway's STUN endpoint (its host and the STUN port, by default the TLS port's number). */
  stun?: { host: string; port: number };
  /** RTCPeerConnection (Node: @roamhq/wrtc's; browsers: their own). Without it there is no UDP path. */
  rtc?: RtcPeerConnectionConstructor;
  /** Addresses to offer for direct TCP (default: this machine's IPv4 addresses). */
  hostAddresses?: string[];
  /** Bound on waiting for the peer's hello (an older peer never sends one). */
  helloTimeoutMs?: number;
  tcpTimeoutMs?: number;
  /** TCP port to listen on for the peer (default: any free port); a fixed one suits a firewall rule. */
  tcpPort?: number;
  /**
   * Our public IPv4 address as the gateway sees it (GET /v1/address): with it, a party behind NAT offers a
   * TCP simultaneous open. Without it, and without a STUN answer, only listening and connecting are tried.
   */
  publicAddress?: string;
  /** The organisation keeps sessions on the relay (`session.policy.relayOnly`): nothing is tried. */
  relayOnly?: boolean;
  /** Bounds of the birthday punch (tcp-birthday.ts); `false` leaves it out. */
  birthday?: BirthdayOptions | false;
}

export interface PathAttemptRecord {
  /** birthday: TLS over TCP found by a birthday punch (the path's kind is then 'tcp'). */
  kind: 'tcp' | 'udp' | 'birthday';
  result: 'connected' | 'failed' | 'skipped';
  ms: number;
}

export interface NegotiatedPath {
  /** The direct path, or null: the session stays on the relay. */
  path: DirectPath | null;
  kind: PathKind;
  /** From the start of negotiation to the path being usable (or to giving up). */
  ms: number;
  attempts: PathAttemptRecord[];
  /** Peer signals that failed validation (ignored). */
  badSignals: number;
}

/**
 * Finds a direct path beside the relay (the session never waits on this: it runs on the relay meanwhile):
 * a hello each way (certificate fingerprint, TCP candidates), direct TCP (both listen, both connect), then
 * a UDP hole punch with WebRTC, then (one side behind a symmetric NAT, the other keeping ports) a TCP
 * birthday punch. Every step is bounded; the result says which path won and how long it took.
 */
export async function negotiatePath(options: NegotiateOptions): Promise<NegotiatedPath> {
  if (options.relayOnly) return { path: null, kind: 'relay', ms: 0, attempts: [], badSignals: 0 };
  const started = performance.now();
  const controlling = options.role === 'technician';
  const elapsed = () => Math.round(performance.now() - started);
  const attempts: PathAttemptRecord[] = [];
  let badSignals = 0;
  const inbox: PathSignal[] = [];
  const waiters: { step: PathSignal['step']; resolve: (s: PathSignal | null) => void }[] = [];
  const stop = options.signals.onSignal((data) => {
    if ((data as { topic?: unknown } | undefined)?.topic !== 'path' && data !== undefined) return; // another topic's signal
    const s = parsePathSignal(data);
    if (!s) return void badSignals++;
    const i = waiters.findIndex((w) => w.step === s.step);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(s);
    else if (inbox.length < 16) inbox.push(s);
  });
  const next = <S extends PathSignal['step']>(step: S, timeoutMs: number): Promise<Extract<PathSignal, { step: S }> | null> => {
    const i = inbox.findIndex((s) => s.step === step);
    if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as Extract<PathSignal, { step: S }>);
    return new Promise((resolve) => {
      const waiter = { step, resolve: resolve as (s: PathSignal | null) => void };
      waiters.push(waiter);
      setTimeout(() => {
        const j = waiters.indexOf(waiter);
        if (j >= 0) waiters.splice(j, 1);
        resolve(null);
      }, timeoutMs).unref?.();
    });
  };
  const done = (path: DirectPath | null): NegotiatedPath => {
    stop();
    const method = path ? attempts.find((a) => a.result === 'connected')?.kind : undefined;
    options.signals.send({ topic: 'path', step: 'using', path: path?.kind ?? 'relay', ms: elapsed(), reason: 'found', ...(method ? { method } : {}) });
    return { path, kind: path?.kind ?? 'relay', ms: elapsed(), attempts, badSignals };
  };

  // Does our NAT keep ports? (STUN from a fresh socket: mapped port = local port.) A symmetric NAT does not,
  // so a simultaneous open could not work and is not offered. No answer at all (UDP blocked): try it anyway.
  const natCheck = options.stun ? reflexiveAddress(options.stun, { rtoMs: 100, attempts: 3 }).catch(() => null) : Promise.resolve(null);
  const [identity, mapping] = await Promise.all([createPeerIdentity(), natCheck]);
  const tcp = await TcpPathAttempt.listen(identity, controlling, options.tcpPort);
  const addresses = options.hostAddresses ?? hostAddresses();
  // Behind NAT (our public address is none of ours): offer a simultaneous open from a port chosen now, or,
  // behind a NAT that changes ports (symmetric), say so: a port-keeping peer can then try a birthday punch.
  const behindNat = !!options.publicAddress && !addresses.includes(options.publicAddress);
  const keepsPorts = !mapping || mapping.port === mapping.localPort;
  const sim = behindNat && keepsPorts ? { address: options.publicAddress!, port: await reserveLocalPort() } : undefined;
  const symmetric = behindNat && !keepsPorts ? { address: options.publicAddress! } : undefined;
  // No STUN answer from the gateway at all: UDP is blocked here, and a WebRTC attempt would only wait out its
  // bounds (4.5 s) before the birthday punch, the one thing left for such a pair.
  const udpHere = !!options.rtc && (!options.stun || mapping !== null);
  options.signals.send({ topic: 'path', step: 'hello', fingerprint: identity.fingerprint, tcp: addresses.map((address) => ({ address, port: tcp.port })), udp: udpHere, ...(sim ? { sim } : {}), ...(symmetric ? { symmetric } : {}) });
  const hello = await next('hello', options.helloTimeoutMs ?? 5000);
  if (!hello) {
    tcp.close();
    return done(null);
  }

  // The peer settling on the relay ends our attempts too (its side of a hole punch is gone).
  let udp: UdpPathAttempt | undefined;
  let peerSettled = false;
  void next('using', 30_000).then((using) => {
    if (using?.path !== 'relay') return;
    peerSettled = true;
    tcp.close();
    udp?.close();
  });

  // 1. Direct TCP.
  const tcpStart = elapsed();
  tcp.connect(hello.fingerprint, hello.tcp, options.tcpTimeoutMs ?? (sim && hello.sim ? SIMULTANEOUS_OPEN_MS : undefined), sim && hello.sim ? { localPort: sim.port, peer: hello.sim } : undefined);
  const socket = await tcp.chosen;
  attempts.push({ kind: 'tcp', result: socket ? 'connected' : 'failed', ms: elapsed() - tcpStart });
  if (socket) return done(new TcpPath(socket, `TLS over TCP to ${socket.remoteAddress}:${socket.remotePort}`));

  // 3. A birthday punch, when one side's NAT picks ports at random and the other's keeps them (both sides
  // come to the same decision from the two hellos, and start once both said 'punch').
  const role: BirthdayRole | null = sim && hello.symmetric ? { side: 'probes', localPort: sim.port, peerAddress: hello.symmetric.address } : symmetric && hello.sim ? { side: 'mappings', peer: hello.sim } : null;
  const punch = async (): Promise<NegotiatedPath> => {
    if (!role || options.birthday === false || peerSettled) return done(null);
    const start = elapsed();
    options.signals.send({ topic: 'path', step: 'punch' });
    if (!(await next('punch', 5000)) || peerSettled) {
      attempts.push({ kind: 'birthday', result: 'failed', ms: elapsed() - start });
      return done(null);
    }
    const bounds = options.birthday || {};
    const attempt = TcpPathAttempt.punched(identity, controlling, hello.fingerprint, (take) => birthdayPunch(identity, role, controlling, take, bounds));
    const socket = await attempt.chosen;
    attempts.push({ kind: 'birthday', result: socket ? 'connected' : 'failed', ms: elapsed() - start });
    return done(socket ? new TcpPath(socket, `TLS over TCP (birthday punch) to ${socket.remoteAddress}:${socket.remotePort}`) : null);
  };

  // 2. UDP hole punch (WebRTC), when both sides can.
  if (!udpHere || !options.rtc || !hello.udp || peerSettled) {
    attempts.push({ kind: 'udp', result: 'skipped', ms: 0 });
    return punch();
  }
  const udpStart = elapsed();
  udp = new UdpPathAttempt(options.rtc, options.stun, controlling);
  try {
    if (controlling) {
      options.signals.send({ topic: 'path', step: 'offer', description: await udp.offer() });
      const answer = await next('answer', 8000);
      if (!answer) udp.close();
      else await udp.accept(answer.description);
    } else {
      const offer = await next('offer', 8000);
      if (!offer) udp.close();
      else options.signals.send({ topic: 'path', step: 'answer', description: await udp.answer(offer.description) });
    }
  } catch {
    udp.close();
  }
  const path = await udp.chosen;
  attempts.push({ kind: 'udp', result: path ? 'connected' : 'failed', ms: elapsed() - udpStart });
  return path ? done(path) : punch();
}
