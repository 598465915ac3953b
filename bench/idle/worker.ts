/**
 * One load-generator process of the `idle` scenario (run by idle/run.ts with a raised open-file limit):
 * creates sessions, joins each as a waiting customer from 127.<offset>.x.y, and holds the connections
 * until told to stop. Talks to its parent over IPC.
 */
import type { SessionConnection } from '../../clients/sdk/src/node.js';
import { ErrorTally } from '../lib/common.js';
import { Histogram } from '../lib/histogram.js';
import { drive } from '../lib/load-profile.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, type Credentials, type Target } from '../lib/targets.js';

export interface WorkerStart {
  type: 'start';
  target: Target;
  login: Credentials;
  count: number;
  /** Joins per second for this worker. */
  rate: number;
  concurrency: number;
  sourceOffset: number;
  sourceCount: number;
  timeoutSeconds: number;
}

export type WorkerReport =
  | { type: 'progress'; held: number; failed: number; dropped: number }
  | { type: 'joined'; held: number; failed: number; dropped: number; errors: Record<string, number>; latency: ReturnType<Histogram['toJSON']> }
  | { type: 'fatal'; message: string };

const send = (m: WorkerReport) => process.send?.(m);

process.on('message', (m: WorkerStart | { type: 'stop' }) => {
  if (m.type === 'start') void start(m).catch((err: Error) => send({ type: 'fatal', message: err.stack ?? err.message }));
  if (m.type === 'stop') stop();
});
process.on('disconnect', () => stop());

const conns: SessionConnection[] = [];
const closers: (() => void)[] = [];
let dropped = 0;

async function start(m: WorkerStart): Promise<void> {
  const sources = new SourceAddresses(m.target.host, m.sourceCount, m.sourceOffset);
  const tech = clientFor(m.target, sources.take(), 30_000);
  closers.push(() => tech.close());
  await tech.client.login(m.login.username, m.login.password);
  const customers = sources.list.map((a) => clientFor(m.target, a, 30_000));
  for (const c of customers) closers.push(() => c.close());
  const latency = new Histogram();
  const errors = new ErrorTally();
  let held = 0;
  const timer = setInterval(() => send({ type: 'progress', held, failed: errors.total, dropped }), 250);
  const result = await drive(
    { rate: m.rate, rampUpSeconds: 0, durationSeconds: m.timeoutSeconds, count: m.count, concurrency: m.concurrency, drainSeconds: 30, queueLate: true },
    async (i) => {
      const session = await tech.client.createSession();
      const t0 = performance.now();
      const conn = await customers[i % customers.length]!.client.joinSession({ pin: session.pin }, `idle ${i}`);
      latency.record((performance.now() - t0) * 1000);
      conns.push(conn);
      held++;
      conn.on('close', () => {
        held--;
        dropped++;
      });
    },
    (e) => errors.add(e),
  );
  clearInterval(timer);
  void result;
  send({ type: 'joined', held, failed: errors.total, dropped, errors: errors.toJSON(), latency: latency.toJSON() });
  setInterval(() => send({ type: 'progress', held, failed: errors.total, dropped }), 500);
}

function stop(): void {
  for (const c of conns) c.close();
  for (const c of closers) c();
  setTimeout(() => process.exit(0), 200).unref();
}
