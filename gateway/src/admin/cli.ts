/**
 * `npm run admin -- [gateway options] <command> [arguments]`: manage technician accounts in the store the
 * gateway uses (same options and RELAYDESK_* environment as the gateway, e.g. --data-dir or --registry redis).
 */
import { systemClock } from '../clock.js';
import { parseArgs } from 'node:util';
import { ConfigError, gatewayArgOptions, gatewayUsage, loadConfig, normalizeGatewayArgs } from '../config/load-config.js';
import { AdminEvents, logAdminEvents } from '../auth/admin-events.js';
import { createLogger } from '../log/logger.js';
import { openAccounts, openOrgs } from '../server/open-accounts.js';
import { adminUsage, exitUsage, runAdmin } from './admin-commands.js';
import { recordingsDirOf } from '../recording/recordings-dir.js';
import { runRecordingCommand } from './recording-command.js';

async function main(raw: string[]): Promise<number> {
  const argv = normalizeGatewayArgs(raw);
  // Gateway options come first; the first positional word starts the command. parseArgs knows which
  // options take a value, so `--data-dir ./d create alice` splits after ./d.
  const { tokens } = parseArgs({ args: argv, options: gatewayArgOptions(), strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  const commandAt = first ? first.index : argv.length;
  const options = argv.slice(0, commandAt);
  const command = argv.slice(commandAt);
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help' && t.index < commandAt)) {
    process.stdout.write(`${adminUsage}\n\ngateway options (before the command; the same as the gateway's):\n${gatewayUsage('npm run admin --').split('\n').slice(1).join('\n')}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ argv: options, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`relaydesk-admin: ${err.message}\n${adminUsage}\n`);
    return exitUsage;
  }
  // Recordings are files: reading them needs no store (and works where the stores are out of reach).
  if (command[0] === 'recording') return runRecordingCommand(command.slice(1), { dir: recordingsDirOf(config), out: (line) => process.stdout.write(line + '\n') });
  const accounts = await openAccounts(config);
  const orgs = await openOrgs(config);
  // Each change as one JSON line on stderr (stdout is the operator's), like the gateway logs its own.
  const events = new AdminEvents();
  logAdminEvents(events, createLogger({ level: 'info', write: (line) => process.stderr.write(line + '\n') }));
  try {
    return await runAdmin(command, { accounts, orgs, events, out: (line) => process.stdout.write(line + '\n'), clock: systemClock });
  } finally {
    await accounts.close();
    await orgs.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`relaydesk-admin: ${err.message}\n`);
    process.exit(1);
  },
);
