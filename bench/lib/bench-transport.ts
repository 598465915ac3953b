import https from 'node:https';
import { isIP } from 'node:net';
import { connect, createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { HttpResult, SocketLike, Transport } from '../../clients/sdk/src/transport.js';
import { nodeTransport } from '../../clients/sdk/src/node.js';

const contexts = new Map<string, SecureContext>();

/**
 * TLS session tickets one client holds for one gateway, as a browser keeps them per origin: every connection
 * (the API's keep-alive connection, each WebSocket) adds the tickets the gateway sends, and the next
 * connection resumes with one. Each ticket is used once (RFC 8446 §C.4: reuse links connections).
 */
export class TlsTickets {
  readonly #tickets: Buffer[] = [];
  /** Connections of this client that resumed a session / did a full handshake (the bench reports both). */
  resumed = 0;
  full = 0;

  take(): Buffer | undefined {
    return this.#tickets.shift();
  }

  watch(socket: TLSSocket): void {
    socket.once('secureConnect', () => (socket.isSessionReused() ? this.resumed++ : this.full++));
    socket.on('session', (ticket: Buffer) => {
      this.#tickets.push(ticket);
      if (this.#tickets.length > 4) this.#tickets.shift();
    });
  }
}

/** An https.Agent whose connections resume with the client's tickets and add theirs. */
class ResumingAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly tickets: TlsTickets,
  ) {
    super(options);
  }

  // Returning the socket is enough: the agent's createSocket takes a returned socket as created.
  override createConnection(options: ConnectionOptions): Duplex {
    const ticket = this.tickets.take();
    const socket = connect({ ...options, ...(ticket ? { session: ticket } : {}) });
    this.tickets.watch(socket);
    return socket;
  }
}

/**
 * The SDK's Transport for load generation: the same wire protocol and the same certificate checks as
 * `nodeTransport` (the API goes through it as is), but WebSockets share one TLS SecureContext per CA
 * instead of building one per connection. That only saves load-generator CPU (parsing the CA PEM each
 * time cost ~1 ms per connection here).
 *
 * `resumeTls`: connections resume TLS sessions with the tickets of the client's earlier connections, as a
 * browser does for one origin (the console's page and API requests, then its WebSockets). Give it to clients
 * that stand for one person (a technician); a client that stands for many machines (the bench's customers
 * share one per source address) does a full handshake each time, as each new machine would.
 */
export function benchTransport(options: { baseUrl: string; ca?: string; localAddress?: string; resumeTls?: boolean }): Transport & { close(): void; tickets?: TlsTickets } {
  const tickets = options.resumeTls ? new TlsTickets() : undefined;
  const agent = tickets ? new ResumingAgent({ keepAlive: true, ca: options.ca, localAddress: options.localAddress, maxSockets: 64 }, tickets) : undefined;
  const api = nodeTransport({ ...options, ...(agent ? { agent } : {}) });
  const base = new URL(options.baseUrl);
  let secureContext: SecureContext | undefined;
  if (options.ca) {
    secureContext = contexts.get(options.ca);
    if (!secureContext) contexts.set(options.ca, (secureContext = createSecureContext({ ca: options.ca })));
  }
  const wsBase = `wss://${base.host}`;
  // ws's own TLS connect, plus the ticket (ws passes every TLS option through to tls.connect).
  const resumingConnect = tickets
    ? (tlsOptions: ConnectionOptions & { host?: string }) => {
        const ticket = tickets.take();
        const socket = connect({ ...tlsOptions, servername: tlsOptions.servername ?? (isIP(tlsOptions.host ?? '') ? '' : tlsOptions.host), ...(ticket ? { session: ticket } : {}) });
        tickets.watch(socket);
        return socket;
      }
    : undefined;
  return {
    request: (method, path, body, token): Promise<HttpResult> => api.request(method, path, body, token),
    connect(path) {
      return new WebSocket(wsBase + path, {
        ...(secureContext ? { secureContext } : {}),
        ...(resumingConnect ? { createConnection: resumingConnect as never } : {}),
        localAddress: options.localAddress,
        perMessageDeflate: false,
        maxPayload: 64 << 20,
        // Load generator only: an all-zero mask lets `ws` skip masking (and its copy) of every frame it sends;
        // the gateway unmasks each frame all the same, so its work is unchanged (RFC 6455 §5.3 wants masks
        // unpredictable against proxies in browsers; nothing between the generator and the gateway here). Not measured alone.
        generateMask: (mask: Buffer) => void mask.fill(0),
      }) as unknown as SocketLike;
    },
    close: () => api.close(),
    ...(tickets ? { tickets } : {}),
  };
}
