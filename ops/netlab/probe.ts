/**
 * Small programs the lab runs inside its namespaces (`ip netns exec NS node <bundle> …`; lab-gateway.ts bundles
 * this file once per run), each printing JSON lines: the lab's view from a party's side.
 *   stun HOST PORT[,PORT…]   reflexive address towards each STUN port, all from one UDP socket
 *   serve-stun PORT          a second STUN endpoint (telling symmetric from cone mapping needs two destinations)
 *   tcp HOST PORT            whether a TCP connection opens (within 3 s)
 *   technician URL CA USER PASSWORD   logs in, creates a session ({pin}), picks up the customer ({active}),
 *                            says hello and prints the customer's first chat line ({chat}); ends after 30 s at most
 *   path-tech URL CA USER PASSWORD    as technician: creates a session ({pin}), picks it up, finds a direct path
 *                            ({path, ms, attempts}: ms from pickup), sends 20 messages over it ({echoed}),
 *                            then a chat line over the relay ({relayChat}) and ends the session
 *   path-bench URL CA USER PASSWORD MB  as technician: relay and direct path side by side ({bench} per path)
 *   path-customer URL CA PIN [TCPPORT]  as customer: joins, finds a path ({path}), echoes what arrives on it
 *   mitm observe|tamper PORT TARGETHOST TARGETPORT    a TCP forwarder in the middle: observe logs whether a
 *                            marker went by in clear ({sawMarker}); tamper flips one byte after the handshake
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

// Each command loads only what it uses (the bundle keeps the imports lazy).
const sdk = () => import('../../clients/sdk/src/node.js');
const paths = async () => ({
  ...(await import('../../clients/sdk/src/paths/negotiate-path.js')),
  ...(await import('../../clients/sdk/src/paths/node-rtc.js')),
  ...(await import('../../clients/sdk/src/paths/signal-channel.js')),
});

/**
 * As technician: logs in, creates a session ({pin}), waits for the customer, picks up and looks for a direct
 * path (with the public address the gateway sees, for a simultaneous open). `picked`: when pickup finished.
 */
async function technicianWithPath(url: string, caFile: string, user: string, password: string) {
  const [{ RelaydeskClient, nodeTransport }, { negotiatePath, nodeRtc, sessionSignals }] = await Promise.all([sdk(), paths()]);
  const base = new URL(url);
  const tech = new RelaydeskClient(nodeTransport({ baseUrl: url, ca: readFileSync(caFile) }));
  await tech.login(user, password);
  const created = await tech.createSession();
  print({ pin: created.pin });
  for (let i = 0; i < 300 && !(await tech.listWaiting()).some((w) => w.guid === created.guid); i++) await new Promise((r) => setTimeout(r, 100));
  const { address: publicAddress } = await tech.call<{ address: string }>('GET', '/v1/address', undefined, false);
  const session = await tech.pickUp(created.guid);
  const picked = performance.now();
  const result = await negotiatePath({ role: 'technician', signals: sessionSignals(session), stun: { host: base.hostname, port: Number(base.port || 443) }, rtc: nodeRtc(), publicAddress });
  return { session, result, picked };
}

/** What the path probes send over a direct path: a marker a machine in the middle must never see in clear. */
export const PATH_MARKER = 'relaydesk-direct-path-marker';

const [command, host = '', ports = ''] = process.argv.slice(2);
const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

if (command === 'stun') {
  const { stunBinding } = await import('../../clients/sdk/src/paths/stun-client.js');
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, r));
  const mapped = [];
  for (const port of ports.split(',').map(Number)) {
    mapped.push(await stunBinding(socket, { host, port }, { rtoMs: 200, attempts: 3 }).catch((err: Error) => ({ error: err.message })));
  }
  print({ localPort: socket.address().port, mapped });
  socket.close();
} else if (command === 'serve-stun') {
  const { startStunServer } = await import('../../gateway/src/paths/stun-server.js');
  const server = await startStunServer({ host: '0.0.0.0', port: Number(host) });
  print({ listening: server.port });
} else if (command === 'tcp') {
  const socket = net.connect({ host, port: Number(ports), timeout: 3000 });
  const result = await new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('open'));
    socket.once('timeout', () => resolve('timeout'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  socket.destroy();
  print({ tcp: result });
} else if (command === 'technician') {
  const { RelaydeskClient, nodeTransport } = await sdk();
  const [, url, caFile, user, password] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 30_000).unref();
  const tech = new RelaydeskClient(nodeTransport({ baseUrl: url!, ca: readFileSync(caFile!) }));
  await tech.login(user!, password!);
  const created = await tech.createSession();
  print({ pin: created.pin });
  for (let i = 0; i < 200 && (await tech.listWaiting()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const session = await tech.pickUp(created.guid);
  print({ active: created.guid });
  session.on('chat', (c) => {
    print({ chat: c.text });
    session.end();
    setTimeout(() => process.exit(0), 200);
  });
  session.chat('hello from the technician');
} else if (command === 'path-tech') {
  const [, url, caFile, user, password] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 40_000).unref();
  const { session, result, picked } = await technicianWithPath(url!, caFile!, user!, password!);
  print({ path: result.kind, ms: Math.round(performance.now() - picked), attempts: result.attempts, via: result.path?.description });
  result.path?.onClose((reason) => print({ pathClosed: reason }));
  if (result.path) {
    const echoed: string[] = [];
    result.path.onMessage((_ch, p) => echoed.push(new TextDecoder().decode(p)));
    for (let i = 0; i < 20; i++) result.path.send(4, new TextEncoder().encode(`${PATH_MARKER} ${i}`));
    for (let i = 0; i < 100 && echoed.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
    const inOrder = echoed.every((e, i) => e === `${PATH_MARKER} ${i}`);
    print({ echoed: echoed.length, inOrder, rttMs: result.path.rttMs, ...(inOrder ? {} : { got: echoed.map((e) => e.slice(PATH_MARKER.length + 1)) }) });
  }
  // The relay keeps working beside (or instead of) the direct path.
  const heard = new Promise<string>((r) => session.on('chat', (c) => r(c.text)));
  session.chat('relay check');
  print({ relayChat: await heard });
  result.path?.close();
  session.end();
  setTimeout(() => process.exit(0), 200);
} else if (command === 'path-bench') {
  const [, url, caFile, user, password, mbArg] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 110_000).unref();
  const { session, result } = await technicianWithPath(url!, caFile!, user!, password!);
  print({ path: result.kind });
  type Carrier = { name: string; send(p: Uint8Array): void; buffered(): number; onMessage(cb: (p: Uint8Array) => void): void };
  let relayHandler: (p: Uint8Array) => void = () => undefined;
  session.on('data', (ch, p) => ch === 4 && relayHandler(p));
  const toBulk = (p: Uint8Array) => {
    const framed = new Uint8Array(p.length + 1);
    framed[0] = 4;
    framed.set(p, 1);
    return framed;
  };
  // The relay's data channel is a bulk channel: it goes within the gateway's credit (sendBulk).
  const carriers: Carrier[] = [{ name: 'relay', send: (p) => void session.sendBulk(toBulk(p)), buffered: () => session.bufferedAmount + session.bulkQueued * 16 * 1024, onMessage: (cb) => void (relayHandler = cb) }];
  if (result.path) {
    const path = result.path;
    let pathHandler: (p: Uint8Array) => void = () => undefined;
    path.onMessage((_ch, p) => pathHandler(p));
    carriers.push({ name: path.kind, send: (p) => path.send(4, p), buffered: () => path.bufferedAmount, onMessage: (cb) => void (pathHandler = cb) });
  }
  const total = Number(mbArg ?? 16) * 1e6;
  for (const c of carriers) {
    const waiting: ((p: Uint8Array) => void)[] = [];
    c.onMessage((p) => waiting.shift()?.(p));
    const next = () => new Promise<Uint8Array>((r) => waiting.push(r));
    const rtts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const answer = next();
      c.send(Uint8Array.of(0x50, i));
      await answer;
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    print({ phase: c.name });
    const chunk = new Uint8Array(16 * 1024).fill(7);
    chunk[0] = 0x44;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += chunk.length) {
      for (let spin = 0; c.buffered() > 4 << 20 && spin < 100_000; spin++) await new Promise((r) => setTimeout(r, 1));
      c.send(chunk);
    }
    const report = next();
    c.send(Uint8Array.of(0x45));
    const r = JSON.parse(new TextDecoder().decode((await report).subarray(1))) as { bytes: number; cpuMs: number };
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    rtts.sort((a, b) => a - b);
    print({ bench: { carrier: c.name, mb: r.bytes / 1e6, mbPerSecond: r.bytes / 1e6 / seconds, senderCpuMsPerMb: (used.user + used.system) / 1000 / (r.bytes / 1e6), receiverCpuMsPerMb: r.cpuMs / (r.bytes / 1e6), rttP50: rtts[25], rttP99: rtts[49] } });
  }
  result.path?.close();
  session.end();
  setTimeout(() => process.exit(0), 200);
} else if (command === 'move-tech' || command === 'move-customer') {
  // A session that moves: SessionPaths on both ends; the technician sends N numbered data messages, 20 ms
  // apart, over whatever path is current ({using} when moved, {fallback} when back on the relay); the
  // customer reports what it received ({received, inOrder, duplicatesDropped}) once all N arrived.
  const [{ RelaydeskClient, nodeTransport }, { negotiatePath, nodeRtc, sessionSignals }, { SessionPaths }] = await Promise.all([sdk(), paths(), import('../../clients/sdk/src/paths/session-paths.js')]);
  const N = 200;
  setTimeout(() => process.exit(3), 40_000).unref();
  let session;
  let role: 'customer' | 'technician';
  let publicAddress: string;
  const base = new URL(process.argv[3]!);
  if (command === 'move-tech') {
    role = 'technician';
    const [, url, caFile, user, password] = process.argv.slice(2);
    const tech = new RelaydeskClient(nodeTransport({ baseUrl: url!, ca: readFileSync(caFile!) }));
    await tech.login(user!, password!);
    const created = await tech.createSession();
    print({ pin: created.pin });
    for (let i = 0; i < 300 && !(await tech.listWaiting()).some((w) => w.guid === created.guid); i++) await new Promise((r) => setTimeout(r, 100));
    publicAddress = (await tech.call<{ address: string }>('GET', '/v1/address', undefined, false)).address;
    session = await tech.pickUp(created.guid);
  } else {
    role = 'customer';
    const [, url, caFile, pin] = process.argv.slice(2);
    const client = new RelaydeskClient(nodeTransport({ baseUrl: url!, ca: readFileSync(caFile!) }));
    session = await client.joinSession({ pin: pin! }, 'Lab customer');
    publicAddress = (await client.call<{ address: string }>('GET', '/v1/address', undefined, false)).address;
    await session.waitFor('active');
  }
  const layer = new SessionPaths(session, sessionSignals(session));
  const got: number[] = [];
  layer.on('message', (_ch, p) => {
    got.push(new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0));
    if (got.length === N) print({ received: got.length, inOrder: got.every((n, i) => n === i), duplicatesDropped: layer.duplicatesDropped });
  });
  layer.on('fallback', (f) => print({ fallback: f }));
  const negotiated = negotiatePath({ role, signals: sessionSignals(session), stun: { host: base.hostname, port: Number(base.port || 443) }, rtc: nodeRtc(), publicAddress });
  void negotiated.then((r) => {
    if (r.path) layer.use(r.path);
    print({ using: r.kind });
  });
  if (role === 'technician') {
    for (let i = 0; i < N; i++) {
      const m = new Uint8Array(4);
      new DataView(m.buffer).setUint32(0, i);
      layer.send(4, m);
      await new Promise((r) => setTimeout(r, 20));
    }
    print({ sent: N });
  }
} else if (command === 'path-customer') {
  const [{ RelaydeskClient, nodeTransport }, { negotiatePath, nodeRtc, sessionSignals }] = await Promise.all([sdk(), paths()]);
  const [, url, caFile, pin, tcpPort] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 40_000).unref();
  const base = new URL(url!);
  const client = new RelaydeskClient(nodeTransport({ baseUrl: url!, ca: readFileSync(caFile!) }));
  const customer = await client.joinSession({ pin: pin! }, 'Lab customer');
  const { address: publicAddress } = await client.call<{ address: string }>('GET', '/v1/address', undefined, false);
  customer.on('chat', (c) => customer.chat(`echo: ${c.text}`));
  customer.on('close', () => process.exit(0));
  await customer.waitFor('active');
  // Bench responder (path-bench), on the relay from the start: 'D' data is counted, 'E' asks for the count and our CPU; anything else echoes.
  const responder = (reply: (p: Uint8Array) => void) => {
    let bytes = 0;
    let cpu = process.cpuUsage();
    return (p: Uint8Array) => {
      if (p[0] === 0x44) {
        if (bytes === 0) cpu = process.cpuUsage();
        bytes += p.length;
      } else if (p[0] === 0x45) {
        const used = process.cpuUsage(cpu);
        reply(new TextEncoder().encode('R' + JSON.stringify({ bytes, cpuMs: (used.user + used.system) / 1000 })));
        bytes = 0;
      } else reply(p);
    };
  };
  const onRelay = responder((p) => void customer.sendBulk(Uint8Array.from([4, ...p])));
  customer.on('data', (ch, p) => ch === 4 && onRelay(p));
  const result = await negotiatePath({ role: 'customer', signals: sessionSignals(customer), stun: { host: base.hostname, port: Number(base.port || 443) }, rtc: nodeRtc(), tcpPort: tcpPort ? Number(tcpPort) : undefined, publicAddress });
  print({ path: result.kind, attempts: result.attempts, via: result.path?.description });
  if (result.path) {
    const onPath = responder((p) => result.path!.send(4, p));
    result.path.onMessage((_ch, p) => onPath(p));
  }
} else if (command === 'mitm') {
  const [, mode, port, targetHost, targetPort] = process.argv.slice(2);
  let sawMarker = false;
  let bytes = 0;
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: targetHost!, port: Number(targetPort) });
    const relay = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (chunk.includes(PATH_MARKER)) sawMarker = true;
        // Past the TLS handshake (a few KB), flip one bit of one record: TLS must notice, never deliver it.
        if (mode === 'tamper' && bytes > 4000 && chunk.length > 40) chunk[chunk.length - 20]! ^= 0x01;
        to.write(chunk);
      });
    relay(inbound, outbound);
    relay(outbound, inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  server.listen(Number(port), '0.0.0.0', () => print({ listening: Number(port) }));
  setInterval(() => print({ sawMarker, bytes }), 200);
} else {
  process.stderr.write('usage: probe.ts stun HOST PORT[,PORT…] | serve-stun PORT | tcp HOST PORT\n');
  process.exit(2);
}
