import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import type WebSocket from 'ws';
import { benchTransport } from '../lib/bench-transport.js';
import { repoRoot } from '../lib/gateway-child.js';
import type { SourceAddresses } from '../lib/source-addresses.js';
import { corkPerTick, negotiated, stampedDataFrame, type End, type Faults, type Pipe } from './pipes.js';
import type { FloorSend } from './uws-floor-server.js';

export type { FloorSend };

/** The bare uWS.js relay (bench/relay/uws-floor-server.ts) as its own process, so its CPU is read like the gateway's. */
export interface UwsFloor {
  port: number;
  pid: number;
  send: FloorSend;
  stop(): Promise<void>;
}

export async function startUwsFloor(send: FloorSend, tls: { certFile: string; keyFile: string }): Promise<UwsFloor> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/relay/uws-floor-server.ts', send, tls.certFile, tls.keyFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited.then(() => Promise.reject(new Error('uws-floor-server exited at start'))), new Promise((_, rej) => setTimeout(() => rej(new Error('uws-floor-server did not start within 20 s')), 20_000).unref())])) as [string];
    return {
      port: Number(line),
      pid: child.pid!,
      send,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/**
 * One session through the floor: two WebSockets of the load generator's own kind (`benchTransport`: the SDK's
 * `ws` options, unmasked frames), paired by the floor, carrying the same frames as the relaydesk pipes (a
 * channel byte, then the payload stamped with its send time), corked per tick like the SDK's sockets in the bench.
 */
/** The TLS socket under a `ws` WebSocket (a private field: only the benchmark reaches in). */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket?: TLSSocket })._socket;

export async function floorPipe(floor: UwsFloor, ca: string, pair: number, sources: SourceAddresses, faults: Faults): Promise<Pipe> {
  const connect = async (): Promise<WebSocket> => {
    const transport = benchTransport({ baseUrl: `https://127.0.0.1:${floor.port}`, ca, localAddress: sources.take() });
    const ws = transport.connect(`/floor/${pair}`) as unknown as WebSocket;
    transport.close();
    await Promise.race([once(ws, 'open'), new Promise((_, rej) => setTimeout(() => rej(new Error('floor WebSocket did not open within 5 s')), 5000).unref())]);
    return ws;
  };
  const a = await connect();
  const b = await connect();
  const end = (ws: WebSocket, label: string): End => {
    const cork = corkPerTick(socketOf(ws));
    const e: End = {
      send(size, at) {
        cork();
        ws.send(stampedDataFrame(size, at));
      },
      onMessage: () => {},
      close: () => ws.close(),
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length < 9) return;
      e.onMessage(data.length - 1, data.readDoubleLE(1));
    });
    ws.on('close', () => faults.add(`${label}: closed`));
    ws.on('error', (err) => faults.add(`${label}: ${err.message}`));
    return e;
  };
  return { a: end(a, `floor ${pair} a`), b: end(b, `floor ${pair} b`), legs: [`a ↔ floor ${negotiated(socketOf(a))}`, `floor ↔ b ${negotiated(socketOf(b))}`] };
}
