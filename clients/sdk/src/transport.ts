/** What the SDK needs from a platform: one JSON request and one WebSocket. Node and browsers differ here only. */
export interface Transport {
  request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, token?: string): Promise<HttpResult>;
  /**
   * `attempt` 0 is the first connection; reconnects count up, so a transport can fail over between gateways.
   * `baseUrl`, when given, is a gateway the cluster redirected us to (same CA).
   */
  connect(path: string, attempt?: number, baseUrl?: string): SocketLike;
}

export interface HttpResult {
  status: number;
  body: unknown;
}

/** The subset of the WHATWG WebSocket that both `ws` and browsers provide. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  /** Bytes queued for sending (browser WebSocket and `ws` both have it). */
  readonly bufferedAmount: number;
}

/** An HTTP answer's body: JSON when it parses, else the text (an error page from a proxy, say). */
export function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
