/**
 * The Redis commands of single pairings, step by step (create, join, pickup, end), from MONITOR: what a
 * pairing sends (a script call is one command, named by its script) and what runs inside each script.
 * `npm run bench -- pairing --trace-commands N` prints it for N pairings run one after another; docs/benchmarks.md
 * lists the result. MONITOR slows Redis down, so this runs on its own, never beside a rate measurement.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { registryScripts } from '../../gateway/src/registry/redis-registry.js';

export type PairingStep = 'create' | 'join' | 'pickup' | 'end';

export interface TracedCommand {
  step: PairingStep;
  /** `GET`, `EVALSHA rdUpdate`, …; inside scripts the command names the script ran it in. */
  command: string;
  keys: string;
  inScript: boolean;
}

/** Script SHA-1 → its name, so an EVALSHA line says which script it was. */
function scriptNames(): Map<string, string> {
  return new Map(Object.entries(registryScripts).map(([name, lua]) => [createHash('sha1').update(lua).digest('hex'), name]));
}

/** Key arguments of a command as MONITOR shows it, with the pairing's ids shortened for reading. */
function keysOf(args: string[]): string {
  const name = args[0]!.toLowerCase();
  if (name === 'evalsha' || name === 'eval') {
    const n = Number(args[2]);
    return args.slice(3, 3 + n).join(' ');
  }
  return args[1] ?? '';
}

/**
 * Runs `steps` one after another under MONITOR (a pause after each, so every line lands in its step) and
 * returns the commands of each step. Heartbeats of the gateway (`g:`/`gws` keys) are left out.
 */
export async function traceCommands(redis: Redis, steps: { step: PairingStep; run: () => Promise<unknown> }[]): Promise<TracedCommand[]> {
  const names = scriptNames();
  const monitor = await redis.monitor();
  monitor.on('error', () => {}); // see monitorCommands (redis-commandstats.ts): late lines at close
  const out: TracedCommand[] = [];
  let current: PairingStep = steps[0]!.step;
  let script = '';
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = String(args[0]).toUpperCase();
    const keys = keysOf(args.map(String)).replace(/[0-9a-f]{32}/g, '<guid>');
    if (/(^| )rd:(g:|gws)/.test(keys)) return;
    const inScript = source === 'lua';
    if (!inScript) script = name === 'EVALSHA' ? (names.get(String(args[1])) ?? 'script') : '';
    out.push({ step: current, command: inScript ? `  ${name} (in ${script})` : name === 'EVALSHA' ? `EVALSHA ${script}` : name, keys, inScript });
  });
  try {
    for (const s of steps) {
      current = s.step;
      await s.run();
      await new Promise((r) => setTimeout(r, 250)); // follow-up writes that are not awaited, and MONITOR lines
    }
    return out;
  } finally {
    monitor.disconnect();
  }
}
