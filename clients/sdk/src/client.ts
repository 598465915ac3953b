import { RelaydeskError } from './errors.js';
import { SessionConnection, defaultReconnect, type ReconnectOptions } from './session-connection.js';
import type { Transport } from './transport.js';
import type { QueueEntry } from '../../../protocol/queue-messages.js';

export interface LoginResult {
  token: string;
  expiresAt: number;
  technician: { id: string; username: string; displayName: string; orgId: string; role: 'administrator' | 'supervisor' | 'technician'; teamId: string | null };
  /** Only when this login completed a TOTP enrolment: the recovery codes, shown this once. */
  recoveryCodes?: string[];
}

/** A correct password when a second factor is due (docs/protocol.md, two-step login). */
export interface SecondFactorChallenge {
  secondFactor: 'totp' | 'totp-enrol';
  challenge: string;
  expiresAt: number;
}

/** What the console shows to enrol an authenticator app. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  /** A QR code of otpauthUri, as a data: URL for an <img>. */
  qrDataUrl: string;
}

/** login() of an account that needs a second factor: carry on with completeSecondFactor(err.challenge.challenge, …). */
export class SecondFactorRequiredError extends RelaydeskError {
  constructor(readonly challenge: SecondFactorChallenge) {
    super('E_SECOND_FACTOR_REQUIRED', challenge.secondFactor === 'totp' ? 'enter the code from your authenticator app' : 'enrol an authenticator app first', 401);
    this.name = 'SecondFactorRequiredError';
  }
}

export interface CreatedSession {
  guid: string;
  pin: string;
  state: 'created';
  expiresAt: number;
}

/** A waiting customer as GET /v1/sessions/waiting lists it: the live queue's entries (protocol/queue-messages.ts). */
export type WaitingSession = QueueEntry;

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

  /** Password login. Throws SecondFactorRequiredError when a second step is due. */
  async login(username: string, password: string): Promise<LoginResult> {
    const result = await this.call<LoginResult | SecondFactorChallenge>('POST', '/v1/auth/login', { username, password }, false);
    if ('challenge' in result) throw new SecondFactorRequiredError(result);
    this.token = result.token;
    return result;
  }

  /** The second step: a code from the authenticator app, or one recovery code. */
  async completeSecondFactor(challenge: string, answer: { code: string } | { recoveryCode: string }): Promise<LoginResult> {
    const result = await this.call<LoginResult>('POST', '/v1/auth/login/second-factor', { challenge, ...answer }, false);
    this.token = result.token;
    return result;
  }

  /** For a 'totp-enrol' challenge: the secret and QR code to scan before sending the first code. */
  enrolDuringLogin(challenge: string): Promise<TotpEnrolment> {
    return this.call<TotpEnrolment>('POST', '/v1/auth/login/enrol', { challenge }, false);
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

  /**
   * Customer: connects and waits for a technician. Resolves once the gateway says "waiting". `form`: answers to the
   * organisation's pre-session form; without them, an organisation that has one refuses with E_FORM_REQUIRED, and
   * the error's `form` lists the questions (E_FORM_INVALID too, when the answers do not fit).
   */
  joinSession(ticket: { pin: string } | { guid: string }, name: string, options: { unattended?: boolean; form?: Record<string, string> } = {}): Promise<SessionConnection> {
    const conn = new SessionConnection((attempt, url) => this.transport.connect('/v1/customer', attempt, url), this.reconnect);
    // `unattended`: nobody is at the machine (the organisation's policy must allow it, else E_FORBIDDEN).
    return conn.handshake({ type: 'join', ...ticket, name, ...(options.unattended ? { unattended: true } : {}), ...(options.form ? { form: options.form } : {}) }, this.handshakeTimeoutMs);
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
