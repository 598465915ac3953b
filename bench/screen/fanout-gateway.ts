/**
 * The gateway side of `npm run bench -- screen`, as its own process (its CPU is what the benchmark measures):
 * a uWS.js TLS server running one session's ScreenRouter between a customer socket (/customer) and viewer
 * sockets (/viewer/<id>). It stands in for the session core until several technicians can join one session
 * through the real gateway (`attend`); the router, the writer rule and the sockets are the real ones.
 *
 * Started by bench/screen/run.ts with an IPC channel: it sends `{ type: 'listening', port, caPem }`, answers
 * `{ type: 'stats' }` with the router's stats, and exits on disconnect.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import uws from 'uWebSockets.js';
import type { DeliveryClass } from '../../protocol/channels.js';
import type { Writer, WriteOutcome } from '../../gateway/src/delivery/writer.js';
import { silentLogger } from '../../gateway/src/log/logger.js';
import { ensureGatewayTls, gatewayTlsCiphers } from '../../gateway/src/pki/gateway-tls.js';
import { GatewayDecoders, type ScreenRepairMode } from '../../gateway/src/screen/gateway-decoders.js';
import { ScreenRouter } from '../../gateway/src/screen/screen-router.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'agent' },
    'min-viewers': { type: 'string', default: '4' },
    'budget-bytes': { type: 'string', default: String(512 << 10) },
  },
});
const budget = Number(values['budget-bytes']);

/** uWS send() results (0 = queued behind backpressure, 1 = written, 2 = dropped past maxBackpressure). */
const SEND_DROPPED = 2;
const SEND_BACKPRESSURE = 0;

/** The Writer rule for one uWS socket: media past the budget is dropped, everything else is sent. */
class UwsWriter implements Writer {
  open = true;
  constructor(private readonly ws: uws.WebSocket<unknown>) {}
  write(data: Uint8Array | string, isBinary: boolean, cls: DeliveryClass): WriteOutcome {
    if (!this.open) return 'dropped';
    if (cls === 'media' && this.ws.getBufferedAmount() > budget) return 'dropped';
    const r = this.ws.send(data, isBinary);
    return r === SEND_DROPPED ? 'dropped' : r === SEND_BACKPRESSURE ? 'queued' : 'sent';
  }
  get queuedBytes(): number {
    return this.open ? this.ws.getBufferedAmount() : 0;
  }
}

interface SocketData {
  role: 'customer' | 'viewer';
  id: string;
  writer?: UwsWriter;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relaydesk-screen-bench-'));
  const tls = await ensureGatewayTls({ dataDir, hostnames: ['127.0.0.1'], log: silentLogger });
  const decoders = new GatewayDecoders({ mode: values.mode as ScreenRepairMode, minViewers: Number(values['min-viewers']), maxBytes: 1 << 30 });
  let customer: uws.WebSocket<SocketData> | undefined;
  const writers = new Map<string, UwsWriter>();
  const refusals: string[] = [];
  const router = new ScreenRouter({
    mediaBudgetBytes: budget,
    keyframeTimeoutMs: 2000,
    requestKeyframe: () => customer?.send('{"v":1,"type":"resync"}', false),
    now: () => performance.now(),
    decoders,
  });
  const ticker = setInterval(() => router.tick(performance.now()), 1000);
  // Every router call runs outside uWS handlers, as in the gateway's outbox (docs/architecture.md: writing to
  // socket B from inside socket A's handler can stall A over TLS).
  const later = (f: () => void) => setImmediate(f);

  const app = uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile, ssl_ciphers: gatewayTlsCiphers });
  const behaviour = (role: SocketData['role']): uws.WebSocketBehavior<SocketData> => ({
    maxPayloadLength: 16 << 20,
    // Above any media budget, so uWS never drops on its own before the router's rule does.
    maxBackpressure: 256 << 20,
    closeOnBackpressureLimit: 0,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      const id = req.getParameter(0) ?? role;
      res.upgrade<SocketData>({ role, id }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const d = ws.getUserData();
      if (d.role === 'customer') customer = ws;
      else {
        d.writer = new UwsWriter(ws);
        const writer = d.writer;
        writers.set(d.id, writer);
        later(() => router.addViewer(d.id, writer));
      }
    },
    message: (ws, message, isBinary) => {
      if (ws.getUserData().role !== 'customer' || !isBinary) return;
      const bytes = new Uint8Array(message.slice(0)); // uWS frees `message` when the handler returns
      later(() => {
        const verdict = router.onFrame(bytes);
        if (verdict.kind === 'refused' && refusals.length < 10) refusals.push(verdict.reason);
      });
    },
    close: (ws) => {
      const d = ws.getUserData();
      if (d.role === 'customer') customer = undefined;
      else if (d.writer) {
        d.writer.open = false;
        writers.delete(d.id);
        later(() => router.removeViewer(d.id));
      }
    },
  });
  app.ws('/customer', behaviour('customer'));
  app.ws('/viewer/:id', behaviour('viewer'));
  const listenSocket = await new Promise<uws.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (token) => (token ? resolve(token) : reject(new Error('screen bench gateway: listen failed')))),
  );
  const port = uws.us_socket_local_port(listenSocket);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const queued = Object.fromEntries([...writers].map(([id, w]) => [id, w.queuedBytes]));
      process.send!({ type: 'stats', stats: router.stats, refusals, queued, decoderBytes: decoders.bytesInUse, rss: process.memoryUsage().rss });
    }
  });
  process.on('disconnect', () => {
    clearInterval(ticker);
    router.close();
    uws.us_listen_socket_close(listenSocket);
    void rm(dataDir, { recursive: true, force: true }).finally(() => process.exit(0));
  });
  process.send!({ type: 'listening', port, caPem: tls.caPem });
}

main().catch((err: Error) => {
  process.stderr.write(`screen bench gateway: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
