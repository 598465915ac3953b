// Every command line answers --help with its usage on stdout and exit code 0 (issue 9, "found on the way"):
// the gateway, the admin CLI, the bench and each bench scenario. Real processes, as a user runs them.
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';
import { repoRoot } from './gateway-child.js';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const commands: [string, string[], RegExp][] = [
  ['gateway', ['gateway/src/main.ts', '--help'], /usage: npm start -- \[options\][\s\S]*--tls-key-type/],
  ['admin', ['gateway/src/admin/cli.ts', '--help'], /usage: relaydesk-admin[\s\S]*--data-dir/],
  ['bench', ['bench/main.ts', '--help'], /usage: npm run bench -- <scenario>[\s\S]*pairing/],
  ...['pairing', 'relay', 'api', 'idle', 'cluster', 'codec', 'mix', 'tls'].map((s): [string, string[], RegExp] => [`bench ${s}`, ['bench/main.ts', s, '--help'], /usage/]),
];

it('every command answers --help with its usage and exit code 0', async () => {
  const results = await Promise.all(commands.map(async ([name, args, usage]) => ({ name, usage, ...(await run(args)) })));
  for (const r of results) expect({ name: r.name, code: r.code, usage: usage(r.stdout, r.usage) }).toEqual({ name: r.name, code: 0, usage: true });
}, 90_000);

it('a bad option exits 2 with a message naming it', async () => {
  const results = await Promise.all([run(['gateway/src/main.ts', '--prot', '1']), run(['bench/main.ts', 'pairing', '--bogus']), run(['bench/main.ts', 'nope'])]);
  expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
  expect(results[0]!.stderr).toMatch(/unknown option --prot/);
  expect(results[1]!.stderr).toMatch(/--bogus/);
  expect(results[2]!.stderr).toMatch(/unknown scenario "nope"/);
}, 90_000);

const usage = (text: string, re: RegExp) => re.test(text);
