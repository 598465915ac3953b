import { execFileSync } from 'node:child_process';
import { runCommand } from './run-command.js';

/**
 * Every lab namespace is named `rdlab-<pid>-<lab>-<node>`: the prefix finds lab namespaces, the pid says whether
 * the run that made them is still alive, so a sweep removes what a killed run left without touching a live lab.
 */
export const LAB_PREFIX = 'rdlab-';

export function namespaceName(labId: string, node: string): string {
  return `${LAB_PREFIX}${process.pid}-${labId}-${node}`;
}

export async function listNamespaces(): Promise<string[]> {
  const out = await runCommand('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Kills what still runs inside a namespace, then deletes it (a process would otherwise keep it alive). */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await runCommand('ip', ['netns', 'pids', ns]).catch(() => '');
  for (const pid of pids.split('\n').map(Number).filter((p) => p > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await runCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
}

/** Same as deleteNamespace, synchronously: for process 'exit' handlers, where nothing asynchronous runs. */
export function deleteNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split('\n').map(Number).filter((p) => p > 1)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { timeout: 5000, stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes lab namespaces whose creating process is gone (a run killed before its teardown). Returns their names. */
export async function sweepStaleNamespaces(options: { all?: boolean } = {}): Promise<string[]> {
  const stale = (await listNamespaces()).filter((ns) => {
    if (!ns.startsWith(LAB_PREFIX)) return false;
    if (options.all) return true;
    const pid = Number(ns.slice(LAB_PREFIX.length).split('-')[0]);
    return !Number.isInteger(pid) || pid <= 0 || !pidAlive(pid);
  });
  for (const ns of stale) await deleteNamespace(ns);
  return stale;
}
