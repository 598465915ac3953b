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
  ['bench pairing', ['bench/main.ts', 'pairing', '--help'], /usage: npm run bench -- pairing/],
];

// The other scenarios in this process (a process each would cost ~3 s of start-up on a busy machine): each
// run(['--help']) prints its usage and returns without starting anything; bench/main.ts then exits 0.
it('every scenario answers --help with its usage and starts nothing', async () => {
  const scenarios: Record<string, () => Promise<{ run(argv: string[]): Promise<void> }>> = {
    pairing: () => import('../pairing/run.js'),
    relay: () => import('../relay/run.js'),
    api: () => import('../api/run.js'),
    idle: () => import('../idle/run.js'),
    cluster: () => import('../cluster/run.js'),
    codec: () => import('../codec/run.js'),
    mix: () => import('../mix/run.js'),
    tls: () => import('../tls/run.js'),
    attack: () => import('../attack/run.js'),
    screen: () => import('../screen/run.js'),
    recording: () => import('../recording/run.js'),
    files: () => import('../files/run.js'),
  };
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  for (const [name, load] of Object.entries(scenarios)) {
    let out = '';
    process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
    console.log = (...args: unknown[]) => void (out += args.join(' ') + '\n'); // the codec scenario prints with console.log
    try {
      await (await load()).run(['--help']);
    } finally {
      process.stdout.write = write;
      console.log = log;
    }
    expect({ name, usage: /usage/.test(out) }).toEqual({ name, usage: true });
  }
}, 60_000);

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
