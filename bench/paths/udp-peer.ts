/**
 * One end of a transport measurement, run inside a lab namespace by bench/paths/transports.ts:
 *   udp-peer.ts <candidate> <client|server> <peer address> <cert dir> [bytes]
 * Candidates: werift and wrtc (WebRTC data channel: ICE, DTLS, SCTP), quic (@matrixai/quic, quiche), tls
 * (TLS over TCP: the direct TCP path, as the baseline). WebRTC's offer and answer travel as JSON lines over
 * stdin/stdout through the orchestrator. The client measures ping RTTs and a bulk transfer; the server echoes
 * pings and, at the end of the transfer, reports its own CPU time. Results: one JSON line on stdout.
 */
import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { createInterface } from 'node:readline';
import tls from 'node:tls';

const [candidate = '', role = '', peer = '', certDir = '', bytesArg = '16777216'] = process.argv.slice(2);
const TOTAL_BYTES = Number(bytesArg);
const CHUNK = 16 * 1024; // below every candidate's message limit (SCTP's 64 KiB in wrtc)
const PINGS = 100;
const PORT = 4433;
const HIGH_WATER = 1 << 20;
// Everything is bounded: a transport that stalls under loss must not hang the benchmark.
setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: 'timeout' }) + '\n');
  process.exit(4);
}, 120_000).unref();

/** A message pipe over any candidate: whole messages in, whole messages out, in order, reliably. */
interface Pipe {
  send(msg: Uint8Array): Promise<void>;
  onMessage(cb: (msg: Uint8Array) => void): void;
  close(): void;
}

const lines = createInterface({ input: process.stdin });
const signalQueue: string[] = [];
const signalWaiters: ((l: string) => void)[] = [];
lines.on('line', (l) => (signalWaiters.shift() ?? ((x: string) => signalQueue.push(x)))(l));
const nextSignal = () => new Promise<string>((r) => (signalQueue.length ? r(signalQueue.shift()!) : signalWaiters.push(r)));
const emit = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- WebRTC data channel (werift and @roamhq/wrtc share the W3C API) ----
interface DataChannelLike {
  readyState: string;
  bufferedAmount: number;
  binaryType?: string;
  send(data: Uint8Array | Buffer): void;
  onopen: (() => void) | null | undefined;
  onmessage: ((ev: { data: unknown }) => void) | null | undefined;
  close(): void;
}

/**
 * werift and @matrixai/quic are this comparison's peers only, not the project's dependencies: werift needs
 * Node 22, and npm cannot lock @matrixai/quic's binaries for other platforms, which broke `npm ci`. To re-run
 * them: `npm install --no-save werift @matrixai/quic`. (A name in a variable keeps tsc from resolving it.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an optional peer without its types installed
async function optionalPeer(name: string): Promise<any> {
  try {
    return await import(name);
  } catch {
    throw new Error(`the transports benchmark needs ${name}, which is not installed: npm install --no-save ${name}`);
  }
}

async function webrtcPipe(lib: 'werift' | 'wrtc'): Promise<Pipe> {
  const mod = lib === 'werift' ? await optionalPeer('werift') : createRequire(import.meta.url)('@roamhq/wrtc');
  const pc = new mod.RTCPeerConnection({ iceServers: [] });
  let channel: DataChannelLike;
  const gathered = async () => {
    for (let i = 0; i < 200 && pc.iceGatheringState !== 'complete'; i++) await sleep(25);
  };
  if (role === 'client') {
    channel = pc.createDataChannel('bench', { ordered: true });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered();
    emit({ signal: { type: 'offer', sdp: pc.localDescription.sdp } });
    const answer = JSON.parse(await nextSignal());
    await pc.setRemoteDescription(answer);
  } else {
    const opened = new Promise<DataChannelLike>((r) => (pc.ondatachannel = (e: { channel: DataChannelLike }) => r(e.channel)));
    const offer = JSON.parse(await nextSignal());
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered();
    emit({ signal: { type: 'answer', sdp: pc.localDescription.sdp } });
    channel = await opened;
  }
  channel.binaryType = 'arraybuffer';
  if (channel.readyState !== 'open') await new Promise<void>((r) => (channel.onopen = () => r()));
  return {
    async send(msg) {
      for (let i = 0; channel.bufferedAmount > HIGH_WATER && i < 100_000; i++) await sleep(1);
      channel.send(Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength));
    },
    onMessage(cb) {
      channel.onmessage = (ev) => {
        const d = ev.data;
        cb(d instanceof ArrayBuffer ? new Uint8Array(d) : (d as Uint8Array));
      };
    },
    close() {
      channel.close();
      pc.close();
    },
  };
}

// ---- Byte streams (QUIC stream, TLS socket): 4-byte length prefix per message ----
function framer(cb: (msg: Uint8Array) => void) {
  let buf = Buffer.alloc(0);
  return (chunk: Uint8Array) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (buf.length < 4 + len) break;
      cb(buf.subarray(4, 4 + len));
      buf = buf.subarray(4 + len);
    }
  };
}
const frame = (msg: Uint8Array) => {
  const out = Buffer.allocUnsafe(4 + msg.length);
  out.writeUInt32BE(msg.length, 0);
  out.set(msg, 4);
  return out;
};

async function tlsPipe(): Promise<Pipe> {
  const cert = readFileSync(`${certDir}/cert.pem`);
  const key = readFileSync(`${certDir}/key.pem`);
  const socket: tls.TLSSocket = await new Promise((resolve, reject) => {
    if (role === 'server') {
      const server = tls.createServer({ cert, key }, (s) => {
        server.close();
        resolve(s);
      });
      server.listen(PORT, '0.0.0.0', () => emit({ listening: PORT }));
    } else {
      const s = tls.connect({ host: peer, port: PORT, ca: cert, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    }
  });
  socket.setNoDelay(true);
  return {
    async send(msg) {
      if (!socket.write(frame(msg))) await new Promise((r) => socket.once('drain', r));
    },
    onMessage(cb) {
      socket.on('data', framer(cb));
    },
    close: () => socket.destroy(),
  };
}

async function quicPipe(): Promise<Pipe> {
  const quic = await optionalPeer('@matrixai/quic');
  const hmacKey = randomBytes(32);
  const ops = {
    randomBytes: async (data: ArrayBuffer) => void new Uint8Array(data).set(randomBytes(data.byteLength)),
    sign: async (k: ArrayBuffer, data: ArrayBuffer) => new Uint8Array(createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest()).buffer,
    verify: async (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) => timingSafeEqual(createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest(), Buffer.from(sig)),
  };
  let stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  let closeAll: () => void;
  if (role === 'server') {
    const server = new quic.QUICServer({
      crypto: { key: hmacKey.buffer as ArrayBuffer, ops },
      config: { key: readFileSync(`${certDir}/key.pem`, 'utf8'), cert: readFileSync(`${certDir}/cert.pem`, 'utf8'), verifyPeer: false },
    });
    const gotStream = new Promise<typeof stream>((resolve) => {
      server.addEventListener('EventQUICServerConnection', (evt: Event) => {
        const conn = (evt as unknown as { detail: { addEventListener(n: string, f: (e: Event) => void): void } }).detail;
        conn.addEventListener('EventQUICConnectionStream', (e: Event) => resolve((e as unknown as { detail: typeof stream }).detail));
      });
    });
    await server.start({ host: '0.0.0.0', port: PORT });
    emit({ listening: PORT });
    stream = await gotStream;
    closeAll = () => void server.stop({ force: true });
  } else {
    const client = await quic.QUICClient.createQUICClient({ host: peer, port: PORT, localHost: '0.0.0.0', crypto: { ops }, config: { verifyPeer: false } });
    stream = client.connection.newStream('bidi') as unknown as typeof stream;
    closeAll = () => void client.destroy({ force: true });
  }
  const writer = stream.writable.getWriter();
  return {
    async send(msg) {
      await writer.ready;
      void writer.write(frame(msg));
    },
    onMessage(cb) {
      const feed = framer(cb);
      void (async () => {
        const reader = stream.readable.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          feed(value);
        }
      })();
    },
    close: () => closeAll(),
  };
}

async function main(): Promise<void> {
  const pipe = candidate === 'tls' ? await tlsPipe() : candidate === 'quic' ? await quicPipe() : await webrtcPipe(candidate as 'werift' | 'wrtc');
  if (role === 'server') {
    let received = 0;
    let cpuStart = process.cpuUsage();
    pipe.onMessage((m) => {
      if (m[0] === 0x70) void pipe.send(m); // 'p': ping, echo it
      else if (m[0] === 0x64) {
        if (received === 0) cpuStart = process.cpuUsage(); // CPU of the transfer only, not of the pings
        received += m.length; // 'd': data
      }
      else if (m[0] === 0x65) {
        const cpu = process.cpuUsage(cpuStart);
        void pipe.send(new TextEncoder().encode('f' + JSON.stringify({ received, cpuMs: (cpu.user + cpu.system) / 1000 })));
      }
    });
    return; // the orchestrator kills the server after the client's result
  }
  const waiting: ((m: Uint8Array) => void)[] = [];
  pipe.onMessage((m) => waiting.shift()?.(m));
  const next = () => new Promise<Uint8Array>((r) => waiting.push(r));
  // Latency: one ping at a time (64 bytes), so a retransmission shows as one slow round trip.
  const rtts: number[] = [];
  const ping = new Uint8Array(64).fill(0x70);
  for (let i = 0; i < PINGS; i++) {
    const t = performance.now();
    const answer = next();
    await pipe.send(ping);
    await answer;
    rtts.push(performance.now() - t);
    await sleep(10);
  }
  // Throughput: TOTAL_BYTES in CHUNK messages, then an end marker answered with the server's counts.
  const cpuBefore = process.cpuUsage();
  const chunk = new Uint8Array(CHUNK);
  chunk.set(randomBytes(CHUNK));
  chunk[0] = 0x64;
  const started = performance.now();
  const done = next();
  for (let sent = 0; sent < TOTAL_BYTES; sent += CHUNK) await pipe.send(chunk);
  await pipe.send(Uint8Array.of(0x65));
  const report = JSON.parse(new TextDecoder().decode((await done).subarray(1))) as { received: number; cpuMs: number };
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  rtts.sort((a, b) => a - b);
  const q = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]!;
  emit({
    result: {
      candidate,
      bytes: report.received,
      mbPerSecond: report.received / 1e6 / seconds,
      clientCpuMsPerMb: (cpu.user + cpu.system) / 1000 / (report.received / 1e6),
      serverCpuMsPerMb: report.cpuMs / (report.received / 1e6),
      rttP50: q(0.5),
      rttP99: q(0.99),
      rttMax: rtts[rtts.length - 1],
    },
  });
  pipe.close();
  setTimeout(() => process.exit(0), 200);
}

main().catch((err: Error) => {
  emit({ error: err.stack ?? err.message });
  process.exit(1);
});
