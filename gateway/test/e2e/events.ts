import type { SessionConnection, SessionEvents } from '../../../clients/sdk/src/node.js';

/** The next `event` from a connection, as a promise (the first argument, or all of them when there are several). */
export function nextEvent<K extends keyof SessionEvents>(conn: SessionConnection, event: K): Promise<SessionEvents[K] extends [infer One] ? One : SessionEvents[K]> {
  return new Promise((resolve) => {
    const off = conn.on(event, (...args) => {
      off();
      resolve((args.length > 1 ? args : args[0]) as never);
    });
  });
}

/** Collects every `event` from a connection into an array. */
export function collect<K extends keyof SessionEvents>(conn: SessionConnection, event: K): SessionEvents[K][] {
  const seen: SessionEvents[K][] = [];
  conn.on(event, (...args) => seen.push(args));
  return seen;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

/** Kills a connection's TCP socket under the SDK, as a network failure would (no close frame): the SDK resumes. */
export function cutConnection(conn: SessionConnection): void {
  (conn.socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
}
