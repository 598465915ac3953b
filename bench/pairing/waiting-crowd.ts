/**
 * A crowd of waiting customers held while pairing is measured, so the pairing figures show how cost grows
 * with load. Each batch runs in its own bench/idle/worker.ts process (raised open-file limit, its own /16 of
 * 127.0.0.0/8 source addresses), the same generator the `idle` scenario uses.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnWithFdLimit } from '../lib/gateway-child.js';
import type { Credentials, Target } from '../lib/targets.js';
import type { WorkerReport, WorkerStart } from '../idle/worker.js';

const PER_WORKER = 10_000;

export class WaitingCrowd {
  private readonly workers: { child: ChildProcess; held: number; failed: number }[] = [];
  private nextOffset = 100;

  constructor(
    private readonly target: Target,
    private readonly logins: Credentials[],
  ) {}

  get held(): number {
    return this.workers.reduce((a, w) => a + w.held, 0);
  }

  get failed(): number {
    return this.workers.reduce((a, w) => a + w.failed, 0);
  }

  /** Adds waiting customers until `total` are held (or `timeoutSeconds` pass); resolves with how many are held. */
  async growTo(total: number, rate: number, timeoutSeconds: number): Promise<number> {
    const joined: Promise<void>[] = [];
    for (let missing = total - this.held; missing > 0; missing -= PER_WORKER) {
      const count = Math.min(PER_WORKER, missing);
      const child = spawnWithFdLimit([process.execPath, '--import', 'tsx', 'bench/idle/worker.ts'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const w = { child, held: 0, failed: 0 };
      this.workers.push(w);
      joined.push(
        new Promise<void>((resolve) => {
          child.on('message', (m: WorkerReport) => {
            if (m.type === 'fatal') {
              w.failed = count;
              return resolve();
            }
            w.held = m.held;
            w.failed = m.failed;
            if (m.type === 'joined') resolve();
          });
          child.once('exit', () => resolve());
        }),
      );
      const start: WorkerStart = {
        type: 'start', target: this.target, login: this.logins[this.workers.length % this.logins.length]!, count, rate: (rate * count) / Math.max(count, missing),
        concurrency: 128, sourceOffset: this.nextOffset++, sourceCount: 16, timeoutSeconds,
      };
      child.send(start);
    }
    await Promise.race([Promise.all(joined), new Promise((r) => setTimeout(r, (timeoutSeconds + 40) * 1000))]);
    return this.held;
  }

  async stop(): Promise<void> {
    for (const w of this.workers) if (w.child.connected) w.child.send({ type: 'stop' });
    await Promise.race([Promise.all(this.workers.map((w) => (w.child.exitCode === null ? new Promise((r) => w.child.once('exit', r)) : null))), new Promise((r) => setTimeout(r, 15_000))]);
    for (const w of this.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  }
}
