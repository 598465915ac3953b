import { once } from 'node:events';
import { connect as tlsConnect, createServer, createSecureContext, type Server, type TLSSocket } from 'node:tls';
import { Channel, type SessionConnection } from '../../clients/sdk/src/node.js';
import { nodeTlsPolicy } from '../../gateway/src/pki/tls-policy.js';

/**
 * One end of a byte pipe between two parties of the benchmark. Every message carries its send time
 * (float64, performance.now() of this process) in its first 8 payload bytes, so the receiver measures the
 * one-way latency; both ends live in this process, so the clocks are the same.
 */
export interface End {
  /** Sends one message of `size` payload bytes stamped with `at`. */
  send(size: number, at: number): void;
  /** Called per whole message: payload size and the stamped send time. */
  onMessage: (size: number, sentAt: number) => void;
  close(): void;
}

export interface Pipe {
  a: End;
  b: End;
  /** The TLS each leg negotiated (protocol and cipher), so the report shows both systems pay for the same crypto. */
  legs: string[];
}

/** "TLSv1.3 TLS_AES_256_GCM_SHA384" for a connected TLS socket. */
export function negotiated(socket: TLSSocket | undefined): string {
  return socket ? `${socket.getProtocol() ?? '?'} ${socket.getCipher()?.name ?? '?'}` : 'unknown';
}

/**
 * What went wrong with the benchmark's connections while they were meant to stay up: a disconnect, a
 * resume, an error frame (e.g. E_FLOW_CONTROL), a peer that went away. The run reports them; none is expected.
 */
export class Faults {
  readonly list: string[] = [];
  /** Set before tearing down on purpose: closes after that are not faults. */
  closing = false;

  add(what: string): void {
    if (!this.closing && this.list.length < 100) this.list.push(what);
  }

  watchSession(conn: SessionConnection, label: string): void {
    conn.on('close', (e) => this.add(`${label}: closed ${e.code} ${e.reason}`));
    conn.on('reconnecting', () => this.add(`${label}: lost its connection (resuming)`));
    conn.on('error', (e) => this.add(`${label}: error ${e.code} ${e.message}`));
    conn.on('peer', (state) => state === 'reconnecting' && this.add(`${label}: its peer lost its connection`));
  }

  watchSocket(socket: TLSSocket, label: string): void {
    socket.on('close', () => this.add(`${label}: TLS connection closed`));
  }
}


/**
 * Holds a socket's writes until the end of the current tick, so a burst of messages becomes one TLS write
 * (Node's TLS socket merges corked writes into one SSL_write) instead of one TLS record and syscall each.
 * The load generator does this on both sides of the comparison (relaydesk's WebSocket clients and the raw
 * TLS sockets of the nginx/direct legs): it only lowers the generator's own cost per message.
 */
export function corkPerTick(socket: { cork(): void; uncork(): void } | undefined): () => void {
  if (!socket) return () => {};
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };
}

/** The TLS socket under the SDK's `ws` WebSocket (private fields of both: only the benchmark reaches in). */
function underlyingSocket(conn: SessionConnection): TLSSocket | undefined {
  const ws = (conn as unknown as { socket?: { _socket?: TLSSocket } }).socket;
  return ws?._socket;
}

/**
 * One data-channel frame of `size` payload bytes, its send time in the first 8: what relaydesk's pipes and the
 * uWS.js floor's send. A fresh buffer per message: `ws` may still hold the previous one (and masks a copy anyway).
 */
export function stampedDataFrame(size: number, at: number): Uint8Array {
  const framed = new Uint8Array(size + 1);
  framed[0] = Channel.data;
  new DataView(framed.buffer).setFloat64(1, at, true);
  return framed;
}

/** A relaydesk session: customer ↔ gateway ↔ technician, binary messages on the data channel (no grant needed). */
export function sessionPipe(customer: SessionConnection, technician: SessionConnection): Pipe {
  const end = (conn: SessionConnection): End => {
    const cork = corkPerTick(underlyingSocket(conn));
    const e: End = {
      send(size, at) {
        cork();
        // Within the credit the receiver gives (bulk flow control); queued in the SDK while there is none.
        void conn.sendBulk(stampedDataFrame(size, at));
      },
      onMessage: () => {},
      close: () => conn.close(),
    };
    conn.on('data', (channel, payload) => {
      if (channel !== Channel.data || payload.byteLength < 8) return;
      e.onMessage(payload.byteLength, new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true));
    });
    return e;
  };
  return { a: end(customer), b: end(technician), legs: [`customer ↔ gateway ${negotiated(underlyingSocket(customer))}`, `gateway ↔ technician ${negotiated(underlyingSocket(technician))}`] };
}

/** A TLS socket carrying the same messages with a 4-byte length prefix (nginx stream and the direct baseline). */
export function socketEnd(socket: TLSSocket): End {
  const header = Buffer.alloc(12);
  let have = 0; // header bytes collected
  let remaining = 0; // body bytes still to skip
  let size = 0;
  let sentAt = 0;
  const cork = corkPerTick(socket);
  const e: End = {
    send(n, at) {
      cork();
      const buf = Buffer.allocUnsafe(n + 4);
      buf.writeUInt32LE(n, 0);
      buf.writeDoubleLE(at, 4);
      socket.write(buf);
    },
    onMessage: () => {},
    close: () => socket.destroy(),
  };
  // Hot path: only the 12 header bytes of each message are looked at; the rest is counted and skipped.
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (remaining === 0) {
        const take = Math.min(12 - have, chunk.length - i);
        chunk.copy(header, have, i, i + take);
        have += take;
        i += take;
        if (have < 12) break;
        have = 0;
        size = header.readUInt32LE(0);
        sentAt = header.readDoubleLE(4);
        remaining = size - 8;
        if (remaining === 0) e.onMessage(size, sentAt);
        continue;
      }
      const skip = Math.min(remaining, chunk.length - i);
      remaining -= skip;
      i += skip;
      if (remaining === 0) e.onMessage(size, sentAt);
    }
  });
  socket.on('error', () => {});
  return e;
}


/**
 * The far end for nginx and for the direct baseline: a node:tls server with the gateway's certificate.
 * `accept()` resolves with the next connection that completes its handshake.
 */
export class SinkServer {
  private readonly server: Server;
  private readonly waiting: ((s: TLSSocket) => void)[] = [];
  private readonly early: TLSSocket[] = [];
  port = 0;

  constructor(tls: { cert: string; key: string }) {
    // The client's suite order decides, as the gateway's BoringSSL lets it: nginx's upstream leg then negotiates
    // what every other leg does (TLS_AES_256_GCM_SHA384, the first of Node's and OpenSSL's client lists). With
    // the policy's own order (AES-128 first) that one leg of four ran cheaper AES-128 (the report's TLS note).
    this.server = createServer({ cert: tls.cert, key: tls.key, ...nodeTlsPolicy, honorCipherOrder: false }, (socket) => {
      socket.setNoDelay(true);
      const w = this.waiting.shift();
      if (w) w(socket);
      else this.early.push(socket);
    });
    this.server.on('tlsClientError', () => {});
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  accept(): Promise<TLSSocket> {
    const s = this.early.shift();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.server.close();
  }
}

/** Connects through `port` (nginx, or the sink itself) and pairs the connection with the sink's accepted socket. */
export async function tlsPipe(port: number, ca: string, sink: SinkServer, localAddress?: string, faults?: Faults, label = 'tls'): Promise<Pipe> {
  const accepted = sink.accept();
  const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', secureContext: createSecureContext({ ca }), ...(localAddress ? { localAddress } : {}) });
  socket.setNoDelay(true);
  await once(socket, 'secureConnect');
  const far = await Promise.race([accepted, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no upstream connection within 5 s')), 5000).unref())]);
  faults?.watchSocket(socket, `${label} client side`);
  faults?.watchSocket(far, `${label} server side`);
  const legs = port === sink.port ? [`client ↔ sink ${negotiated(socket)}`] : [`client ↔ proxy ${negotiated(socket)}`, `proxy ↔ sink ${negotiated(far)}`];
  return { a: socketEnd(socket), b: socketEnd(far), legs };
}
