/**
 * `npm run agent -- --pin PIN [--name NAME] [--gateway URL] [--ca FILE] [--proxy URL] [--display :N] [--monitor N |
 * --window ID|NAME] [--allow view,control,files] [--downloads DIR] [--unattended] [--field KEY=VALUE …]`: a customer joins a session from a terminal and shares their screen
 * (or one window). Where only an HTTP proxy leads out, `--proxy http://user:password@proxy:3128` (or HTTPS_PROXY) uses it. A thin front end over CustomerAgent (customer-agent.ts): it prints prompts and status and turns the
 * customer's typed commands into calls. Lines that are not commands are sent as chat.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Power } from '../../protocol/channels.js';
import { RelaydeskClient, describeSize, nodeTransport, proxyFromEnvironment } from '../sdk/src/node.js';
import { parsePowers, type Answer } from './consent.js';
import { printable } from '../../protocol/display-text.js';
import { parseFormFields } from './form-fields.js';
import type { FormField } from '../../protocol/pre-session-form.js';
import { CustomerAgent, type AgentStatus } from './customer-agent.js';
import { AgentPaths } from './agent-paths.js';
import { nodeRtc } from '../sdk/src/paths/node-rtc.js';
import { openDesktop, parseWindowArg, type ShareTarget } from './desktop.js';
import { downloadsDirectory } from './downloads.js';

const usage = `usage: npm run agent -- --pin PIN [--name NAME] [--gateway URL] [--ca FILE] [--proxy URL] [--display :N]
                        [--monitor N | --window ID|NAME] [--allow view,control,files,clipboard,sysinfo]
                        [--downloads DIR]   (received files go there; default ~/Downloads)
                        [--unattended]
                        [--field KEY=VALUE …]   (answers to the organisation's pre-session form)
       (or --guid GUID instead of --pin)
  --unattended   nobody is at this machine: the gateway is told (the organisation's policy must allow
                 unattended access), only --allow powers are granted, requests never wait for an answer
While it runs, type:
  /allow N | /once N | /refuse N   answer request N (allow for this session / this time, ask again next time / refuse)
  /revoke POWER                    take a power back at once (view, control, files, clipboard, sysinfo)
  /grant POWER                     give a power without being asked
  /record yes | /record no         answer a request to record the session
  /record stop                     stop a recording you agreed to
  /accept N | /decline N           take file N (saved in the downloads directory) / refuse it
  /send PATH                       send a file to the technician (needs "files" granted)
  /cancel N                        stop file N, either way
  /pause  /resume                  freeze the picture the technician sees / go live again
  /status                          what is shared, who watches, who has control
  /end                             end the session (Ctrl-C too)
  anything else                    chat
`;

const { values } = parseArgs({
  options: {
    gateway: { type: 'string', default: 'https://localhost:8443' },
    ca: { type: 'string', default: 'data/tls/ca.crt' },
    pin: { type: 'string' },
    guid: { type: 'string' },
    name: { type: 'string', default: 'Customer' },
    display: { type: 'string' },
    monitor: { type: 'string' },
    window: { type: 'string' },
    allow: { type: 'string', default: '' },
    proxy: { type: 'string' },
    unattended: { type: 'boolean', default: false },
    downloads: { type: 'string', default: join(homedir(), 'Downloads') },
    field: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h' },
  },
});
const say = (line: string) => process.stdout.write(line + '\n');
const die = (line: string, code: number) => {
  process.stderr.write(line + '\n');
  process.exit(code);
};
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
if (!values.pin === !values.guid) die(usage, 2);
if (values.monitor !== undefined && values.window !== undefined) die('choose --monitor or --window, not both', 2);
if (values.monitor !== undefined && !/^\d+$/.test(values.monitor)) die('--monitor takes a number (0 is the first monitor)', 2);

let allow: Power[] = [];
let form: Record<string, string> = {};
try {
  allow = parsePowers(values.allow!);
  form = parseFormFields(values.field!);
} catch (err) {
  die((err as Error).message, 2);
}
const target: ShareTarget = values.window !== undefined ? parseWindowArg(values.window) : values.monitor !== undefined ? { kind: 'monitor', index: Number(values.monitor) } : { kind: 'screen' };

// What was asked for on the command line must work; without any display at all (a server, an SSH session) the
// agent still joins to chat and says that it has nothing to share.
const asked = values.display !== undefined || target.kind !== 'screen';
let opened: ReturnType<typeof openDesktop> | null = null;
try {
  opened = openDesktop(values.display, target);
} catch (err) {
  const e = err as Error & { code?: string };
  if (asked || e.code !== 'E_X11_OPEN') die(`cannot share: ${e.code ?? ''} ${e.message}`, 1);
  say(`no X display (${e.message}): chat only, nothing can be shared`);
}
const desktop = opened?.desktop ?? null;
const kind = opened?.kind ?? 'monitor';
const label = opened?.label ?? 'nothing (no display)';

let downloadsDir = '';
try {
  downloadsDir = downloadsDirectory(values.downloads!);
} catch (err) {
  desktop?.close();
  die(`cannot use --downloads ${values.downloads}: ${(err as Error).message}`, 2);
}

const proxy = values.proxy ?? proxyFromEnvironment(process.env);
const client = new RelaydeskClient(nodeTransport({ baseUrl: values.gateway!, ca: readFileSync(values.ca!), proxy }));
const unattended = values.unattended === true;
// The answers always go along (maybe none): a terminal cannot show a form, so the gateway's refusal lists its questions.
const session = await client.joinSession(values.pin ? { pin: values.pin } : { guid: values.guid! }, values.name!, { unattended, form }).catch((err: Error & { code?: string; form?: FormField[] }) => {
  desktop?.close();
  const questions = err.form?.map((f) => `  --field ${f.key}=…   ${printable(f.label)}${f.required ? ' (required)' : ''}, at most ${f.maxLength} characters`) ?? [];
  return die([`cannot join: ${err.code ?? ''} ${err.message}`, ...(questions.length ? ['this organisation asks:', ...questions] : [])].join('\n'), 1);
});
// Direct paths beside the relay (agent-paths.ts): STUN on the gateway's port number over UDP, our public
// address as the gateway sees it (for a TCP simultaneous open or a birthday punch). Through a proxy nothing
// direct can work: the session stays on the relay.
const gatewayUrl = new URL(values.gateway!);
const paths = new AgentPaths(
  session,
  proxy
    ? { hostAddresses: [], birthday: false }
    : async () => {
        const publicAddress = await client.call<{ address: string }>('GET', '/v1/address', undefined, false).then((a) => a.address, () => undefined);
        let rtc: ReturnType<typeof nodeRtc> | undefined;
        try {
          rtc = nodeRtc();
        } catch (err) {
          say(`no WebRTC here (${(err as Error).message.split('\n')[0]}): direct paths over TCP only`);
        }
        return { stun: { host: gatewayUrl.hostname, port: Number(gatewayUrl.port || 443) }, rtc, publicAddress };
      },
);
const agent = new CustomerAgent(session, desktop, { kind, label, allow, downloadsDir, transport: paths, unattended });
if (unattended) say(`unattended: only ${allow.length ? allow.join(', ') : 'nothing'} will be granted; every other request is refused`);
paths.attach({ has: (p) => agent.consent.has(p), controller: () => agent.controllerParticipant, resync: () => agent.stream?.resync() });
paths.on('path', (p) => say(p.kind === 'relay' ? 'the session goes through the gateway (relay)' : `direct path to the technician: ${p.description}`));
say(`joined; waiting for a technician (session ${session.guid}).${desktop ? ` Sharing ${label} once you allow "view".` : ''}`);
if (allow.length) say(`allowed up front for this session: ${allow.join(', ')}`);

const describe = (s: AgentStatus) =>
  `[${s.session}] sharing ${s.sharing.label}: ${s.sharing.state}` +
  ` | watching: ${s.watchers.length ? s.watchers.join(', ') : 'nobody'}` +
  ` | control: ${s.controller ?? 'nobody'} | granted: ${s.grants.length ? s.grants.join(', ') : 'nothing'}` +
  (s.recording ? ' | RECORDED' : '');
let lastStatus = '';
agent.on('status', (s) => {
  const line = describe(s);
  if (line !== lastStatus) say((lastStatus = line));
});
agent.on('prompt', (p) => say(`request ${p.id}: ${p.from} asks for "${p.power}". /allow ${p.id} (this session), /once ${p.id} (ask each time), /refuse ${p.id}`));
agent.on('filePrompt', (p) => say(`file ${p.id}: ${p.from} sends "${p.name}" (${describeSize(p.size)}). /accept ${p.id} (saved in ${downloadsDir}), /decline ${p.id}`));
agent.on('notice', (n) => say(n));
agent.on('recordingPrompt', (p) => say(`${p.from} asks to record this session (the gateway keeps what the technicians see). /record yes or /record no`));
agent.on('inputRejected', (r) => say(`technician input refused: ${r.code} ${r.message}`));
agent.on('ended', (reason) => {
  say(`session ended (${reason}); nothing is shared any more`);
  agent.close();
  paths.close();
  setTimeout(() => process.exit(0), 100);
});

const answers: Record<string, Answer> = { '/allow': 'session', '/once': 'once', '/refuse': 'refuse' };
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (!cmd) return;
  if (cmd in answers) agent.answer(Number(arg), answers[cmd]!);
  else if (cmd === '/revoke' || cmd === '/grant') {
    try {
      const [p] = parsePowers(arg ?? '');
      if (!p) say(`usage: ${cmd} POWER`);
      else agent[cmd === '/revoke' ? 'revoke' : 'grant'](p);
    } catch (err) {
      say((err as Error).message);
    }
  } else if (cmd === '/record') {
    if (arg === 'yes' || arg === 'no') agent.answerRecording(arg === 'yes');
    else if (arg === 'stop') agent.stopRecording();
    else say('usage: /record yes | /record no | /record stop');
  } else if (cmd === '/accept') agent.files?.accept(Number(arg));
  else if (cmd === '/decline') agent.files?.decline(Number(arg));
  else if (cmd === '/cancel') agent.files?.cancel(Number(arg));
  else if (cmd === '/send') {
    // The rest of the line is the path (it may contain spaces).
    const path = line.trim().slice('/send'.length).trim();
    if (!path) say('usage: /send PATH');
    else void agent.files?.send(path);
  } else if (cmd === '/pause') agent.pause();
  else if (cmd === '/resume') agent.resume();
  else if (cmd === '/status') say(describe(agent.status()));
  else if (cmd === '/end') agent.end();
  else if (cmd.startsWith('/')) say(usage);
  else agent.chat(line);
});
process.on('SIGINT', () => agent.end());
