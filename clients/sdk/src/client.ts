import { RelaydeskError } from './errors.js';
import { SessionConnection, defaultReconnect, type ReconnectOptions } from './session-connection.js';
import type { Transport } from './transport.js';

export interface LoginResult {
  token: string;
  expiresAt: number;
  technician: { id: string; username: string; displayName: string; orgId: string };
}

export interface CreatedSession {
  guid: string;
  pin: string;
  state: 'created';
  expiresAt: number;
}

export interface WaitingSession {
  guid: string;
  customerName: string;
  waitingSince: number;
  expiresAt: number;
  createdBy: string;
}

export interface SessionInfo {
  guid: string;
  state: 'created' | 'waiting' | 'active' | 'closed' | 'expired';
  pin?: string;
  customerName?: string;
  technicianId?: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  closeReason?: string;
}

export interface ClientOptions {
  /** How long join/pickup may wait for the gateway's answer. */
  handshakeTimeoutMs?: number;
  /** Resuming a session after a lost connection (on by default). */
  reconnect?: Partial<ReconnectOptions>;
}

/**
 * The relaydesk client for both roles. A technician logs in, creates sessions, lists and picks up waiting
 * customers; a customer joins with a PIN (or the session GUID). Used by the tests, benchmarks, console and agent.
 */
export class RelaydeskClient {
  private token: string | null = null;
  private readonly handshakeTimeoutMs: number;
  private readonly reconnect: ReconnectOptions;

  constructor(
    private readonly transport: Transport,
    options: ClientOptions = {},
  ) {
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.reconnect = { ...defaultReconnect, ...options.reconnect };
  }

  /** The bearer token after login (technicians only). */
  get bearerToken(): string | null {
    return this.token;
  }

  /** Uses a token obtained elsewhere (e.g. the console after a page reload). */
  useToken(token: string): void {
    this.token = token;
  }

  async login(username: string, password: string): Promise<LoginResult> {
    const result = await this.call<LoginResult>('POST', '/v1/auth/login', { username, password }, false);
    this.token = result.token;
    return result;
  }

  async logout(): Promise<void> {
    await this.call('POST', '/v1/auth/logout');
    this.token = null;
  }

  createSession(options: { ttlSeconds?: number } = {}): Promise<CreatedSession> {
    return this.call<CreatedSession>('POST', '/v1/sessions', options);
  }

  async listWaiting(): Promise<WaitingSession[]> {
    return (await this.call<{ sessions: WaitingSession[] }>('GET', '/v1/sessions/waiting')).sessions;
  }

  getSession(guid: string): Promise<SessionInfo> {
    return this.call<SessionInfo>('GET', `/v1/sessions/${encodeURIComponent(guid)}`);
  }

  async revokeSession(guid: string): Promise<void> {
    await this.call('DELETE', `/v1/sessions/${encodeURIComponent(guid)}`);
  }

  /** Customer: connects and waits for a technician. Resolves once the gateway says "waiting". */
  joinSession(ticket: { pin: string } | { guid: string }, name: string): Promise<SessionConnection> {
    const conn = new SessionConnection((attempt, url) => this.transport.connect('/v1/customer', attempt, url), this.reconnect);
    return conn.handshake({ type: 'join', ...ticket, name }, this.handshakeTimeoutMs);
  }

  /** Technician: claims a waiting session. Resolves once paired ("active"); rejects with E_SESSION_TAKEN etc. */
  pickUp(guid: string): Promise<SessionConnection> {
    if (!this.token) return Promise.reject(new RelaydeskError('E_TOKEN_INVALID', 'log in first'));
    const conn = new SessionConnection((attempt, url) => this.transport.connect('/v1/technician', attempt, url), this.reconnect);
    return conn.handshake({ type: 'pickup', token: this.token, guid }, this.handshakeTimeoutMs);
  }

  /** Technician: joins an active session of its organisation as a viewer (the customer is told who joined). */
  attend(guid: string): Promise<SessionConnection> {
    if (!this.token) return Promise.reject(new RelaydeskError('E_TOKEN_INVALID', 'log in first'));
    const conn = new SessionConnection((attempt, url) => this.transport.connect('/v1/technician', attempt, url), this.reconnect);
    return conn.handshake({ type: 'attend', token: this.token, guid }, this.handshakeTimeoutMs);
  }

  /** One API call; an error answer becomes a RelaydeskError with the gateway's code and the HTTP status. */
  async call<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, withToken = true): Promise<T> {
    const res = await this.transport.request(method, path, body, withToken ? (this.token ?? undefined) : undefined);
    if (res.status >= 400) {
      const err = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new RelaydeskError(err?.code ?? 'E_HTTP', err?.message ?? `HTTP ${res.status}`, res.status);
    }
    return res.body as T;
  }
}
