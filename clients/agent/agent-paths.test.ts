import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInput, typeText } from '../../protocol/input-events.js';
import { eventually, sleep } from '../../gateway/test/e2e/events.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/gateway-harness.js';
import { identityStores } from '../../gateway/test/identity/identity-fixture.js';
import { negotiatePath } from '../sdk/src/paths/negotiate-path.js';
import { SessionPaths } from '../sdk/src/paths/session-paths.js';
import { sessionSignals } from '../sdk/src/paths/signal-channel.js';
import { AgentPaths } from './agent-paths.js';
import { CustomerAgent } from './customer-agent.js';
import { openDesktop } from './desktop.js';
import { TechnicianView, pixelDifferences } from './test/technician-view.js';
import { startXServer, type XServer } from './test/x-server.js';

// The agent's session code on a real X server (Xvfb, an xterm), a real gateway (loopback) and the SDK as the
// technician with its path layer: the direct path here is TLS over TCP on loopback (the NAT lab covers how
// paths are found across NATs; this covers what the agent puts on them).
const W = 480;
const H = 320;
let x: XServer;
let gw: TestGateway;
let stores: Awaited<ReturnType<typeof identityStores>>;
const pw: Record<string, string> = {};
const dir = mkdtempSync(join(tmpdir(), 'relaydesk-agent-paths-'));

beforeAll(async () => {
  [x, gw] = await Promise.all([startXServer(W, H), startTestGateway()]);
  stores = await identityStores(gw);
  pw.tess = await stores.addAccount('tess', 'acme', 'technician');
  pw.theo = await stores.addAccount('theo', 'acme', 'technician');
  pw.rolf = await stores.addAccount('rolf', 'relay-org', 'technician');
  await stores.org('relay-org', (o) => void (o.policy = { ...o.policy, relayOnly: true }));
  x.client('xterm', ['-T', 'work', '-geometry', '50x12+10+10', '-b', '0', '-e', 'sh'], { LANG: 'C.UTF-8' });
  expect(await eventually(async () => (await x.xdotool('search', '--name', '^work$').catch(() => '')) !== '', 10_000)).toBe(true);
});
afterAll(async () => {
  await stores?.close();
  await Promise.all([x?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The agent as agent.ts builds it: CustomerAgent over AgentPaths, allowing what is asked for the session. */
async function agentSession(username: string) {
  const tc = gw.client();
  await tc.login(username, pw[username]!);
  const s = await tc.createSession();
  const customer = await gw.client().joinSession({ pin: s.pin }, 'Pat');
  const paths = new AgentPaths(customer, { hostAddresses: ['127.0.0.1'] });
  const { desktop, kind, label } = openDesktop(x.display, { kind: 'screen' });
  const agent = new CustomerAgent(customer, desktop, { kind, label, transport: paths });
  paths.attach({ has: (p) => agent.consent.has(p), controller: () => agent.controllerParticipant, resync: () => agent.stream?.resync() });
  agent.on('prompt', (p) => agent.answer(p.id, 'session'));
  // What reached the customer through the gateway (counted beside the agent, which reads through AgentPaths).
  const relayed = { input: 0 };
  customer.on('data', (ch) => ch === 0x02 && relayed.input++);
  const tech = await tc.pickUp(s.guid);
  await customer.waitFor('active');
  return { customer, paths, agent, tech, relayed };
}

const typeInto = (send: (payload: Uint8Array) => void, text: string) => {
  const events = typeText(text);
  for (let i = 0; i < events.length; i += 16) send(encodeInput(events.slice(i, i + 16)));
};

/** Types `echo WORD > DIR/WORD.txt` into the shell through `send`; true once the shell has run it. */
function shellRuns(send: (payload: Uint8Array) => void, word: string): Promise<boolean> {
  const out = join(dir, `${word}.txt`);
  typeInto(send, `echo ${word} > ${out}\n`);
  return eventually(() => existsSync(out) && readFileSync(out, 'utf8') === `${word}\n`, 10_000);
}

/** Ends one test's session and everything built on it. */
function endAll(...parts: { close(): void }[]): void {
  for (const p of parts) p.close();
}

async function samePicture(view: TechnicianView): Promise<number[]> {
  let diff: number[] = [];
  for (let i = 0; i < 20; i++) {
    diff = pixelDifferences(view.picture(), await x.capture(0, 0, W, H));
    if (diff.length === 0) break;
    await sleep(250);
  }
  return diff;
}

describe('the agent on direct paths', () => {
  it('with a technician that has the path layer: screen and input go direct, the agent enforces the grants there', async () => {
    const { customer, paths, agent, tech, relayed } = await agentSession('tess');
    const layer = new SessionPaths(tech, sessionSignals(tech));
    const relayedScreen = { frames: 0 };
    tech.on('data', (ch) => ch === 0x01 && relayedScreen.frames++);
    // The technician's view reads through its layer (frames from either path); a lost picture asks for a keyframe.
    const view = new TechnicianView({ on: (_e, h) => layer.on('message', h) }, () => tech.signal({ topic: 'screen', step: 'resync' }));
    const found = await negotiatePath({ role: 'technician', signals: sessionSignals(tech), hostAddresses: ['127.0.0.1'] });
    expect(found.kind).toBe('tcp');
    layer.use(found.path!);
    expect(await eventually(() => paths.kind === 'tcp')).toBe(true);
    expect(await eventually(() => tech.participants.length === 2 && tech.participants.every((p) => p.path === 'tcp'))).toBe(true);

    tech.request('view');
    tech.request('control');
    expect(await eventually(() => agent.consent.has('view') && agent.consent.has('control'))).toBe(true);
    expect(await eventually(() => view.frames.length > 0, 10_000)).toBe(true);
    await sleep(300);
    const screenBefore = relayedScreen.frames;

    // Typed over the direct path into the shell: it runs; not one input message went through the gateway.
    expect(await shellRuns((p) => layer.send(0x02, p), 'went-direct')).toBe(true);
    expect(relayed.input).toBe(0);
    // The typing changed the screen: those frames came on the direct path, none through the gateway.
    expect(await samePicture(view)).toEqual([]);
    expect(relayedScreen.frames).toBe(screenBefore);

    // Control taken back: the gateway cannot see the direct path, the agent refuses the input itself.
    agent.revoke('control');
    const refused = join(dir, 'refused.txt');
    typeInto((p) => layer.send(0x02, p), `echo not-allowed > ${refused}\n`);
    expect(await eventually(() => paths.layer!.refusedOnDirectPath > 0, 5000)).toBe(true);
    await sleep(500);
    expect(existsSync(refused)).toBe(false);

    endAll(layer, agent, paths);
    customer.end();
  }, 60_000);

  it('control passed to a technician without the layer: the agent retires its layer and takes plain input on the relay', async () => {
    const { customer, paths, agent, tech, relayed } = await agentSession('tess');
    const layer = new SessionPaths(tech, sessionSignals(tech));
    const found = await negotiatePath({ role: 'technician', signals: sessionSignals(tech), hostAddresses: ['127.0.0.1'] });
    layer.use(found.path!);
    expect(await eventually(() => paths.kind === 'tcp')).toBe(true);
    // A second technician (like the web console: no path layer) attends and is given control.
    const theo = gw.client();
    await theo.login('theo', pw.theo!);
    const second = await theo.attend(customer.guid!);
    expect(await eventually(() => tech.participants.length === 3)).toBe(true);
    tech.pass(tech.participants.find((p) => p.name === 'theo')!.id);
    expect(await eventually(() => paths.layer === null && paths.kind === 'relay')).toBe(true);
    second.request('control');
    expect(await eventually(() => agent.consent.has('control'))).toBe(true);
    expect(await shellRuns((p) => second.send(0x02, p), 'plain-after-pass')).toBe(true);
    expect(relayed.input).toBeGreaterThan(0);
    endAll(layer, agent, paths);
    customer.end();
  }, 30_000);

  it('relayOnly: the agent tries nothing, and a technician with the path layer is served plain over the relay', async () => {
    const { customer, paths, agent, tech, relayed } = await agentSession('rolf');
    expect(customer.policy?.relayOnly).toBe(true);
    const signals: unknown[] = [];
    customer.on('signal', (m) => signals.push(m));
    tech.on('error', () => undefined); // the gateway refuses the layer's `able` signal under relayOnly
    const layer = new SessionPaths(tech, sessionSignals(tech));
    tech.request('control');
    expect(await eventually(() => agent.consent.has('control'))).toBe(true);
    expect(await shellRuns((p) => layer.send(0x02, p), 'on-the-relay')).toBe(true);
    expect(relayed.input).toBeGreaterThan(0);
    expect([paths.layer, paths.kind, layer.numbered, signals]).toEqual([null, 'relay', false, []]);
    endAll(layer, agent, paths);
    customer.end();
  }, 30_000);
});
