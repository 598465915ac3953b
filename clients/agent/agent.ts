/**
 * `npm run agent -- --gateway URL --ca FILE --pin PIN --name NAME [--proxy URL]`: a customer joins a session from a
 * terminal. Where only an HTTP proxy leads out, `--proxy http://user:password@proxy:3128` (or HTTPS_PROXY) uses it.
 * Prints the session's state, chat and permission requests; each line typed is sent as chat; "/grant view"
 * (or control, files), "/revoke …" and "/end" do what they say. Screen sharing is not part of this CLI yet.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { RelaydeskClient, nodeTransport, proxyFromEnvironment, type Power } from '../sdk/src/node.js';

const { values } = parseArgs({
  options: {
    gateway: { type: 'string', default: 'https://localhost:8443' },
    ca: { type: 'string', default: 'data/tls/ca.crt' },
    pin: { type: 'string' },
    guid: { type: 'string' },
    name: { type: 'string', default: 'Customer' },
    proxy: { type: 'string' },
  },
});
if (!values.pin === !values.guid) {
  process.stderr.write('usage: npm run agent -- --pin PIN [--name NAME] [--gateway URL] [--ca FILE] [--proxy URL]   (or --guid GUID)\n');
  process.exit(2);
}

const proxy = values.proxy ?? proxyFromEnvironment(process.env);
const client = new RelaydeskClient(nodeTransport({ baseUrl: values.gateway!, ca: readFileSync(values.ca!), proxy }));
const say = (line: string) => process.stdout.write(line + '\n');
const session = await client
  .joinSession(values.pin ? { pin: values.pin } : { guid: values.guid! }, values.name!)
  .catch((err: Error & { code?: string }) => {
    process.stderr.write(`cannot join: ${err.code ?? ''} ${err.message}\n`);
    process.exit(1);
  });
say(`joined; waiting for a technician (session ${session.guid})`);
session.on('state', (s) => say(`session ${s.state}${s.technician ? ` with ${s.technician}` : ''}${s.reason ? ` (${s.reason})` : ''}`));
session.on('chat', (c) => say(`${c.from}: ${c.text}`));
session.on('request', (p) => say(`the technician asks for "${p}": type /grant ${p} to allow it`));
session.on('grants', (g) => say(`granted now: ${g.length ? g.join(', ') : 'nothing'}`));
session.on('error', (e) => say(`error: ${e.code} ${e.message}`));
session.on('close', (c) => {
  say(`disconnected (${c.code} ${c.reason})`);
  process.exit(0);
});

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === '/end') session.end();
  else if (cmd === '/grant' || cmd === '/revoke') session[cmd === '/grant' ? 'grant' : 'revoke'](arg as Power);
  else if (line.trim()) session.chat(line);
});
process.on('SIGINT', () => session.end());
