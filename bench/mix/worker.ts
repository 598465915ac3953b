/**
 * A load-generating worker of the session mix: `npm run bench -- mix --worker --coordinator HOST:PORT
 * --coordinator-fingerprint FP --token T` (the coordinator prints this line; it starts local workers the
 * same way). It takes its share of the plan from the coordinator, runs its sessions and reports what it
 * measured every second.
 */
import { drive } from '../lib/load-profile.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, type Credentials, type Target } from '../lib/targets.js';
import { connectToCoordinator } from './coordinator-link.js';
import { MixMetrics } from './metrics.js';
import { readRecordingBytes } from './recording.js';
import { runSession, ScreenReplayer, type SessionPlan } from './session-script.js';

/** What the coordinator sends each worker. */
export interface WorkerPlan {
  type: 'plan';
  worker: number;
  target: Target;
  logins: Credentials[];
  /** 127.<offset>.x.y source addresses for this worker (loopback targets), so workers never share ports. */
  sourceOffset: number;
  sourceAddresses: number;
  /** This worker's share: sessions started per second after the ramp, and at most in flight. */
  rate: number;
  rampUpSeconds: number;
  holdSeconds: number;
  maxSessions: number;
  /** Which sessions do what: fractions 0..1, applied by index so proportions hold exactly. */
  fractions: { screen: number; chat: number; transfer: number };
  session: Omit<SessionPlan, 'screen' | 'chat' | 'transfer'>;
  /** The encoded recording (recording.ts file layout), base64, or null without screen sessions. */
  recording: string | null;
  /** Workers number their sessions apart: index = worker + k * workers. */
  workers: number;
}

/** Session i does `feature` when its low-discrepancy point falls below the fraction (exact proportions, spread out). */
export function planFor(index: number, plan: Pick<WorkerPlan, 'fractions' | 'session'>): SessionPlan {
  const point = (salt: number) => (index * 0.6180339887498949 + salt) % 1;
  return { ...plan.session, screen: point(0.1) < plan.fractions.screen, chat: point(0.4) < plan.fractions.chat, transfer: point(0.7) < plan.fractions.transfer };
}

export async function runWorker(coordinator: string, fingerprint: string, token: string): Promise<void> {
  const link = await connectToCoordinator(coordinator, fingerprint, token);
  const plan = await new Promise<WorkerPlan>((resolve) => link.onMessage((m) => m.type === 'plan' && resolve(m as unknown as WorkerPlan)));
  const metrics = new MixMetrics();
  const recording = plan.recording ? readRecordingBytes(Buffer.from(plan.recording, 'base64')) : null;
  const replayer = recording ? new ScreenReplayer(recording, metrics) : null;
  const sources = new SourceAddresses(plan.target.host, plan.sourceAddresses, plan.sourceOffset);
  const technicians = await Promise.all(
    plan.logins.map(async (cred) => {
      const c = clientFor(plan.target, sources.take(), 15_000);
      await c.client.login(cred.username, cred.password);
      return c;
    }),
  );
  const customers = sources.list.map((addr) => clientFor(plan.target, addr, 15_000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  link.send({ type: 'ready' });
  const timer = setInterval(() => link.send({ type: 'stats', delta: metrics.take() }), 1000);
  let k = 0;
  try {
    const result = await drive(
      { rate: plan.rate, rampUpSeconds: plan.rampUpSeconds, durationSeconds: plan.rampUpSeconds + plan.holdSeconds, count: 10_000_000, concurrency: plan.maxSessions, drainSeconds: plan.session.holdMs / 1000 + 40 },
      async () => {
        const index = plan.worker + plan.workers * k++;
        metrics.add('sessionsStarted');
        metrics.running++;
        try {
          await runSession(index, technicians[index % technicians.length]!.client, customers[index % customers.length]!.client, planFor(index, plan), replayer, metrics);
          metrics.add('sessionsCompleted');
        } catch (err) {
          metrics.add('sessionsFailed');
          metrics.error(err);
        } finally {
          metrics.running--;
        }
      },
      (err) => metrics.error(err),
    );
    metrics.add('arrivalsSkipped', result.late); // due while --max-sessions were in flight
  } finally {
    clearInterval(timer);
    const cpu = process.cpuUsage(cpu0);
    link.send({ type: 'done', delta: metrics.take(), cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: performance.now() - t0 });
    for (const c of [...technicians, ...customers]) c.close();
    link.close();
  }
}
