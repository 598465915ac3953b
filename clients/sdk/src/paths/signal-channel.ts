/**
 * How path signals travel between the two parties: over the relay, which authenticated both, as the
 * session's generic `signal` control message (docs/protocol.md). The technician's signals go to the customer
 * by default, the customer's to the technician holding control.
 */
export interface SignalChannel {
  send(data: object): void;
  /** Returns a function that stops listening. */
  onSignal(handler: (data: unknown) => void): () => void;
}

interface SignallingSession {
  signal(data: Record<string, unknown>, to?: string): void;
  on(event: 'signal', handler: (message: { from: string; data: Record<string, unknown> }) => void): () => void;
}

export function sessionSignals(session: SignallingSession, to?: string): SignalChannel {
  return {
    send: (data) => session.signal(data as Record<string, unknown>, to),
    onSignal: (handler) => session.on('signal', (m) => (to === undefined || m.from === to) && handler(m.data)),
  };
}
