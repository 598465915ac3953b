import type uws from 'uWebSockets.js';
import { GatewayError, asGatewayError, type ErrorCode } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { ConnectionCaps } from '../limits/connection-caps.js';
import type { QueueFeeds } from './queue-feeds.js';

/** What one `/v1/queue` connection holds (the uWS user data). Owned by the handlers below, one event loop. */
export interface QueueWatcher {
  connectedAt: number;
  phase: 'hello' | 'checking' | 'subscribed' | 'closed';
  token?: string;
  orgId?: string;
  /** When the token is checked again (logout, expiry and a disabled account end the subscription). */
  recheckAt: number;
  unsubscribe?: () => void;
}

/**
 * The uWS user data. uWS copies its properties onto the socket object itself, where reading one that was
 * never set after the close throws; the watcher is a plain object of ours, safe to read at any time.
 */
export interface QueueSocketData {
  watcher: QueueWatcher;
}

export interface QueueSocketDeps {
  feeds: QueueFeeds;
  /** `use: false` for the periodic re-checks: watching the queue is not activity (inactivity logout). */
  authenticate: (token: string, options?: { use?: boolean }) => Promise<{ orgId: string }>;
  /** The per-address connection caps (limits/connection-caps.ts): queue sockets count like the others. */
  caps: Pick<ConnectionCaps, 'opened' | 'greeted' | 'closed'>;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
}

export interface QueueSocketOptions {
  helloTimeoutMs: number;
  /** How often a subscriber's token is checked again. */
  recheckMs: number;
  /** A console this far behind (bytes queued) is disconnected: it reconnects and gets a fresh snapshot. */
  maxBufferedBytes: number;
}

/** The subscribe message is a token and a type: nothing bigger is accepted. */
const MAX_HELLO_BYTES = 4096;

/**
 * `wss://…/v1/queue`: the organisation's waiting customers, pushed (docs/protocol.md, "Live queue").
 * The first message is `{"v":1,"type":"subscribe","token"}`; the gateway answers with a `queue` snapshot
 * and sends another on every change.
 */
export class QueueSockets {
  private readonly open = new Set<uws.WebSocket<QueueSocketData>>();

  constructor(
    private readonly deps: QueueSocketDeps,
    private readonly options: QueueSocketOptions,
  ) {}

  get connectionCount(): number {
    return this.open.size;
  }

  /** The uWS behaviour; `upgrade` is the gateway's (capacity and draining checks). */
  behavior(upgrade: uws.WebSocketBehavior<QueueSocketData>['upgrade']): uws.WebSocketBehavior<QueueSocketData> {
    return {
      maxPayloadLength: MAX_HELLO_BYTES,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      maxBackpressure: this.options.maxBufferedBytes * 2,
      upgrade,
      open: (ws) => {
        this.deps.caps.opened(ws);
        this.open.add(ws);
        this.deps.metrics.connections.inc({ role: 'queue' });
      },
      message: (ws, data, isBinary) => {
        this.deps.caps.greeted(ws);
        this.onMessage(ws, isBinary ? null : Buffer.from(data).toString('utf8'));
      },
      close: (ws) => {
        this.deps.caps.closed(ws);
        const w = ws.getUserData().watcher;
        w.phase = 'closed';
        w.unsubscribe?.();
        this.open.delete(ws);
        this.deps.metrics.connections.dec({ role: 'queue' });
      },
    };
  }

  /** Once a second: closes silent newcomers and re-checks tokens that are due. */
  tick(): void {
    const now = this.deps.now();
    for (const ws of this.open) {
      const w = ws.getUserData().watcher;
      if (w.phase === 'hello' && now - w.connectedAt > this.options.helloTimeoutMs) {
        this.refuse(ws, w, new GatewayError('E_BAD_REQUEST', 'no subscribe message in time'));
      } else if (w.phase === 'subscribed' && w.recheckAt <= now) {
        w.recheckAt = now + this.options.recheckMs;
        this.deps.authenticate(w.token!, { use: false }).catch((err: unknown) => this.refuse(ws, w, asGatewayError(err)));
      }
    }
  }

  /** Draining: consoles reconnect (to another gateway behind the load balancer). */
  closeAll(code: ErrorCode = 'E_SHUTTING_DOWN'): void {
    for (const ws of [...this.open]) this.refuse(ws, ws.getUserData().watcher, new GatewayError(code));
  }

  private onMessage(ws: uws.WebSocket<QueueSocketData>, text: string | null): void {
    const w = ws.getUserData().watcher;
    // After subscribing there is nothing to say; the console only listens.
    if (w.phase !== 'hello') return;
    let token: unknown;
    try {
      const msg = text === null ? null : JSON.parse(text);
      if (msg?.v !== 1) throw new GatewayError(msg && typeof msg === 'object' && 'v' in msg ? 'E_UNSUPPORTED_VERSION' : 'E_BAD_MESSAGE');
      if (msg.type !== 'subscribe') throw new GatewayError('E_BAD_MESSAGE', 'the first message must be {"v":1,"type":"subscribe","token":…}');
      token = msg.token;
      if (typeof token !== 'string') throw new GatewayError('E_TOKEN_INVALID');
    } catch (err) {
      return this.refuse(ws, w, err instanceof GatewayError ? err : new GatewayError('E_BAD_MESSAGE', 'the message is not JSON'));
    }
    w.phase = 'checking';
    this.deps.authenticate(token as string).then(
      (who) => {
        if (w.phase !== 'checking') return; // closed meanwhile
        w.phase = 'subscribed';
        w.token = token as string;
        w.orgId = who.orgId;
        w.recheckAt = this.deps.now() + this.options.recheckMs;
        w.unsubscribe = this.deps.feeds.subscribe(who.orgId, { send: (snapshot) => this.push(ws, w, snapshot) });
      },
      (err: unknown) => this.refuse(ws, w, asGatewayError(err)),
    );
  }

  private push(ws: uws.WebSocket<QueueSocketData>, w: QueueWatcher, text: string): void {
    if (w.phase !== 'subscribed') return;
    if (ws.getBufferedAmount() > this.options.maxBufferedBytes) {
      this.deps.metrics.dropped.inc({ reason: 'backpressure' });
      return this.refuse(ws, w, new GatewayError('E_SLOW_CONSUMER'));
    }
    ws.send(text, false);
  }

  /** `w` is passed in, not read from `ws`: uWS throws on access to a socket that has closed. */
  private refuse(ws: uws.WebSocket<QueueSocketData>, w: QueueWatcher, e: GatewayError): void {
    if (w.phase === 'closed') return;
    w.phase = 'closed';
    if (e.code === 'E_INTERNAL') this.deps.log.error('queue.internal_error', { err: e });
    this.deps.metrics.rejected.inc({ code: e.code });
    // Not inside cork(): end() closes the socket at once, and uWS would then uncork a closed socket.
    ws.send(JSON.stringify({ v: 1, type: 'error', code: e.code, message: e.message }), false);
    ws.end(e.closeCode, e.code);
  }
}
