/**
 * The relay's floor: a bare uWebSockets.js SSLApp that pairs two WebSockets per session and forwards every
 * binary message to the other one, with no checks (no channel, grants, credit, metrics or session). It has
 * the gateway's TLS (same certificate and key, `gatewayTlsCiphers`) and the gateway's socket options
 * (server/relay-socket-options.ts, from the default config), so what it costs per message is what uWS.js
 * itself costs a relay; `npm run bench -- relay` drives it with the same load generator as the gateway.
 *
 * `node --import tsx bench/relay/uws-floor-server.ts direct|deferred CERT KEY`; prints its port. Clients connect
 * to `/floor/<pair id>`; the second socket of an id is paired with the first.
 * - `direct`: `peer.send(message)` inside the message handler (no copy: uWS frames from its own buffer).
 * - `deferred`: as the gateway does (relay/outbox.ts, the uWS 20.30 TLS read-stall workaround): the message is
 *   copied into a reused arena, and the sends run on the next setImmediate, each socket's corked.
 */
import uws from 'uWebSockets.js';
import { loadConfig } from '../../gateway/src/config/load-config.js';
import { gatewayTlsCiphers } from '../../gateway/src/pki/tls-policy.js';
import { relaySocketOptions } from '../../gateway/src/server/relay-socket-options.js';

export type FloorSend = 'direct' | 'deferred';

interface End {
  readonly pair: string;
  peer: End | null;
  ws: uws.WebSocket<End> | null;
  /** deferred: views into the arena waiting for the next flush, and how many. */
  queue: Uint8Array[];
  queued: number;
  /** Set at open on the socket's own user data (uWS copies the object given to upgrade). */
  flushBound: () => void;
}

const [mode, certFile, keyFile] = process.argv.slice(2);
if ((mode !== 'direct' && mode !== 'deferred') || !certFile || !keyFile) {
  process.stderr.write('usage: uws-floor-server.ts direct|deferred CERT KEY\n');
  process.exit(2);
}

const ARENA_BYTES = 4 << 20;
/** Larger messages get a copy of their own, as in the gateway (relay/outbox.ts ARENA_MAX_FRAME). */
const ARENA_MAX_FRAME = 256 << 10;
let arenas: ArrayBuffer[] = [new ArrayBuffer(ARENA_BYTES)];
let arenaIndex = 0;
let arenaUsed = 0;
const dirty: End[] = [];
let scheduled = false;

/** A copy of uWS's message (freed when the handler returns) valid until the next flush; arenas are reused. */
function copy(data: ArrayBuffer): Uint8Array {
  const n = data.byteLength;
  if (n > ARENA_MAX_FRAME) return new Uint8Array(data.slice(0));
  if (arenaUsed + n > ARENA_BYTES) {
    if (++arenaIndex === arenas.length) arenas.push(new ArrayBuffer(ARENA_BYTES));
    arenaUsed = 0;
  }
  const view = new Uint8Array(arenas[arenaIndex]!, arenaUsed, n);
  view.set(new Uint8Array(data));
  arenaUsed += n;
  return view;
}

function flush(): void {
  scheduled = false;
  for (let i = 0; i < dirty.length; i++) {
    const end = dirty[i]!;
    if (end.ws) {
      if (end.queued > 1) end.ws.cork(end.flushBound);
      else end.flushBound();
    }
    end.queued = 0;
  }
  dirty.length = 0;
  arenaIndex = 0;
  arenaUsed = 0;
  // More than one turn's worth ever needed: keep at most four arenas.
  if (arenas.length > 4) arenas = arenas.slice(0, 4);
}

const EMPTY = new Uint8Array(0);
const noop = () => {};

const waiting = new Map<string, End>();
const app = uws.SSLApp({ cert_file_name: certFile, key_file_name: keyFile, ssl_ciphers: gatewayTlsCiphers });
app.ws<End>('/floor/:pair', {
  ...relaySocketOptions(loadConfig({ argv: [], env: {} })),
  upgrade: (res, req, context) => {
    const end: End = { pair: req.getParameter(0) ?? '', peer: null, ws: null, queue: [], queued: 0, flushBound: noop };
    res.upgrade(end, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
  },
  open: (ws) => {
    const end = ws.getUserData();
    end.ws = ws;
    end.flushBound = () => {
      for (let i = 0; i < end.queued; i++) {
        ws.send(end.queue[i]!, true);
        end.queue[i] = EMPTY;
      }
    };
    const first = waiting.get(end.pair);
    if (first) {
      waiting.delete(end.pair);
      first.peer = end;
      end.peer = first;
    } else waiting.set(end.pair, end);
  },
  message:
    mode === 'direct'
      ? (ws, data) => {
          const peer = ws.getUserData().peer;
          if (peer?.ws) peer.ws.send(data, true);
        }
      : (ws, data) => {
          const peer = ws.getUserData().peer;
          if (!peer?.ws) return;
          if (peer.queued === 0) dirty.push(peer);
          peer.queue[peer.queued++] = copy(data);
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        },
  close: (ws) => {
    const end = ws.getUserData();
    end.ws = null;
    end.queued = 0;
    if (end.peer) end.peer.peer = null;
    if (waiting.get(end.pair) === end) waiting.delete(end.pair);
  },
});
app.listen('127.0.0.1', 0, (s) => {
  if (!s) process.exit(1);
  process.stdout.write(`${uws.us_socket_local_port(s)}\n`);
});
process.on('SIGTERM', () => process.exit(0));
