import type { Redis } from 'ioredis';

/** Calls per command name from `INFO commandstats` (e.g. { evalsha: 120, get: 40 }). */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * Commands between two snapshots, per unit of work, without the INFO calls that took the snapshots
 * (each snapshot's own INFO is counted by the next one).
 */
export function commandsPer(before: Record<string, number>, after: Record<string, number>, units: number): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after)) {
    let d = calls - (before[name] ?? 0);
    if (name === 'info') d -= 1;
    if (d <= 0 || units <= 0) continue;
    byCommand[name] = Math.round((d / units) * 100) / 100;
    total += d;
  }
  return { total: units > 0 ? Math.round((total / units) * 10) / 10 : 0, byCommand };
}

/**
 * Counts the commands Redis receives while `work` runs, from MONITOR: those clients sent (`sent`; an EVALSHA
 * is one) apart from those scripts ran inside (`inScripts`), per command name. MONITOR costs Redis time,
 * so this runs in its own short phase, never beside a rate measurement.
 */
export async function monitorCommands(redis: Redis, work: () => Promise<number>): Promise<{ units: number; sent: Record<string, number>; inScripts: Record<string, number> }> {
  const monitor = await redis.monitor();
  // Lines still arriving while the MONITOR connection closes make ioredis report "Command queue state error" on
  // it (seen once in five side-by-side runs); the counts are taken by then, so it must not end the bench.
  monitor.on('error', () => {});
  const sent: Record<string, number> = {};
  const inScripts: Record<string, number> = {};
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = String(args[0]).toLowerCase();
    const into = source === 'lua' ? inScripts : sent;
    into[name] = (into[name] ?? 0) + 1;
  });
  try {
    const units = await work();
    await new Promise((r) => setTimeout(r, 200)); // let the last MONITOR lines arrive
    return { units, sent, inScripts };
  } finally {
    monitor.disconnect();
  }
}
