/**
 * How path signals travel between the two parties: over the relay, which authenticated both. The session
 * core's generic `signal` control message is the carrier (BRIEF/issue 9); until a session exposes it, the
 * interim carrier below uses the reliable `data` channel (0x04) with a marker, so the path work runs today.
 */
export interface SignalChannel {
  send(data: object): void;
  /** Returns a function that stops listening. */
  onSignal(handler: (data: unknown) => void): () => void;
}

/** First bytes of an interim signal on the data channel: "RDSG" then JSON. Other data passes untouched. */
const MARKER = [0x52, 0x44, 0x53, 0x47];

interface DataSession {
  send(channel: number, payload: Uint8Array): void;
  on(event: 'data', handler: (channel: number, payload: Uint8Array) => void): () => void;
}

/** Whether a data-channel message is an interim signal (the session's numbered traffic must skip it). */
export function isInterimSignal(channel: number, payload: Uint8Array, dataChannel = 0x04): boolean {
  return channel === dataChannel && payload.length >= MARKER.length && MARKER.every((b, i) => payload[i] === b);
}

export function dataChannelSignals(session: DataSession, dataChannel = 0x04): SignalChannel {
  return {
    send(data) {
      const json = new TextEncoder().encode(JSON.stringify(data));
      const out = new Uint8Array(MARKER.length + json.length);
      out.set(MARKER);
      out.set(json, MARKER.length);
      session.send(dataChannel, out);
    },
    onSignal(handler) {
      return session.on('data', (channel, payload) => {
        if (!isInterimSignal(channel, payload, dataChannel)) return;
        try {
          handler(JSON.parse(new TextDecoder().decode(payload.subarray(MARKER.length))));
        } catch {
          handler(undefined); // unparsable: the caller counts it as a bad signal
        }
      });
    },
  };
}
