/**
 * `npm run admin -- [gateway options] <command> [arguments]`: manage technician accounts in the store the
 * gateway uses (same options and RELAYDESK_* environment as the gateway, e.g. --data-dir or --registry redis).
 */
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { AdminEvents, logAdminEvents } from '../auth/admin-events.js';
import { createLogger } from '../log/logger.js';
import { openAccounts, openOrgs } from '../server/open-accounts.js';
import { adminUsage, exitUsage, runAdmin } from './admin-commands.js';

async function main(argv: string[]): Promise<number> {
  // Gateway options (--name value pairs) come first; the first bare word starts the command.
  const commandAt = argv.findIndex((arg, i) => !arg.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--') || argv[i - 1]!.includes('=')));
  const options = commandAt < 0 ? argv : argv.slice(0, commandAt);
  const command = commandAt < 0 ? [] : argv.slice(commandAt);
  let config;
  try {
    config = loadConfig({ argv: options, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`relaydesk-admin: ${err.message}\n${adminUsage}\n`);
    return exitUsage;
  }
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
