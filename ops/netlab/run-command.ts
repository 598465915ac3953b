import { execFile } from 'node:child_process';

/** Every lab command is bounded: a hung `ip` or `iptables` must not hang a test run. */
const COMMAND_TIMEOUT_MS = 10_000;

/** Runs one command (no shell) with optional stdin; rejects with its stderr when it fails or times out. */
export function runCommand(cmd: string, args: string[], input?: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`netlab: ${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
