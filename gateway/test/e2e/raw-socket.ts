import WebSocket from 'ws';

/** A bare WebSocket to the gateway, for sending what the SDK never would. Collects frames and the close. */
export function rawSocket(baseUrl: string, path: string, ca: string | undefined) {
  const ws = new WebSocket(baseUrl.replace('https:', 'wss:') + path, { ca, perMessageDeflate: false });
  const frames: string[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(data.toString());
  });
  ws.on('error', () => {});
  return {
    ws,
    opened,
    closed,
    frames,
    /** Parsed error frames. */
    errors: () => frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'error') as { code: string; message: string }[],
  };
}
