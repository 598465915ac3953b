/**
 * `npm run bench -- attack`: the attacks of issue 13 against a deployment, and what got through, so an
 * operator can check a configuration. PIN guessing from many source addresses while real customers join;
 * a connection flood from one address while real customers join; malformed HTTP requests.
 * Only loopback targets, or targets the user declares its own with --i-own-this-target.
 */
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import { optionSpecs } from '../../gateway/src/config/options.js';
import { startRedisServer, type RedisServer } from '../../gateway/test/redis-server.js';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import { startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { newReport, type BenchReport } from '../lib/report.js';
import { isLoopback, SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, parseLogins, parseTargets, type Credentials, type Target } from '../lib/targets.js';

export const options = {
  ...commonOptions,
  'i-own-this-target': { kind: 'flag', help: 'required for a --target that is not loopback: you run that deployment and may attack it' },
  registry: { kind: 'list', default: ['memory'], help: 'registries of a gateway this bench starts (memory, redis); it runs with the default limits' },
  'max-connections': { kind: 'int', default: 1000, min: 1, help: 'maxConnections of a gateway this bench starts (issue 13 used 1,000)' },
  'guess-addresses': { kind: 'int', default: 100, min: 1, help: 'source addresses guessing PINs (loopback: each in its own /24)' },
  'guesses-per-address': { kind: 'int', default: 25, min: 1, help: 'wrong PINs each address sends' },
  concurrency: { kind: 'int', default: 64, min: 1, help: 'guesses in flight' },
  customers: { kind: 'int', default: 20, min: 0, help: 'real customers joining with their right PIN during the guessing (a --target needs --login)' },
  'flood-connections': { kind: 'int', default: 1000, min: 0, help: 'WebSocket connections one address opens and holds without a first message' },
  'flood-customers': { kind: 'int', default: 10, min: 0, help: 'real customers joining while the flood holds its connections' },
  'flood-hold-seconds': { kind: 'number', default: 15, min: 0, help: 'how long to hold the flood waiting for the gateway to close it (its hello timeout is 10 s)' },
  'login-flood-rate': { kind: 'number', default: 100, min: 0, help: 'logins per second from fresh addresses with random usernames (0 = skip)' },
  'login-flood-seconds': { kind: 'number', default: 6, min: 0.1, help: 'how long the login flood runs' },
  'admin-url': { kind: 'string', help: 'http://host:port of the admin listener, to send it the malformed requests too (default: the started gateway\'s)' },
  'malformed-timeout': { kind: 'number', default: 12, min: 0.1, help: 'seconds to wait for an answer to each malformed request' },
  'pin-window-seconds': { kind: 'number', default: 600, min: 1, help: "the target's pinGuessWindowSeconds, to project a sustained guessing rate" },
  'live-sessions': { kind: 'int', default: 10_000, min: 1, help: 'live sessions assumed by the projection' },
  'attacker-addresses': { kind: 'int', default: 1000, min: 1, help: 'addresses assumed by the projection' },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  iOwnThisTarget?: boolean;
  registry: string[];
  maxConnections: number;
  guessAddresses: number;
  guessesPerAddress: number;
  concurrency: number;
  customers: number;
  floodConnections: number;
  floodCustomers: number;
  floodHoldSeconds: number;
  loginFloodRate: number;
  loginFloodSeconds: number;
  adminUrl?: string;
  malformedTimeout: number;
  pinWindowSeconds: number;
  liveSessions: number;
  attackerAddresses: number;
}

const SECONDS_PER_YEAR = 365.25 * 86_400;

/** Limits the started gateway runs with: the defaults (the bench gateway child lifts them for load tests). */
const defaultLimitFlags = [
  'pinGuessWindowSeconds', 'pinGuessesPerAddress', 'pinGuessesPerPrefix', 'pinGuessesGlobal', 'pinGuessesUnderAttack',
  'loginAttemptsPerAddress', 'maxFailedLogins', 'maxFailedLoginsPerAccount', 'loginsPerSecond',
  'connectionsPerAddress', 'connectionsPerPrefix', 'unauthenticatedPerAddress', 'unauthenticatedPerPrefix',
].flatMap((key) => {
  const spec = optionSpecs.find((s) => s.key === key)!;
  return [`--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(spec.default)];
});

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('attack', options, argv);
  if (parsed.help) return void process.stdout.write(usage('attack', options) + '\n');
  const o = common(parsed) as Values;
  const report = newReport('attack', argv, { ...o });
  report.figures.runs = {};

  if (o.target.length) {
    const targets = parseTargets(o.target, o.ca);
    for (const t of targets) {
      if (!isLoopback(t.host) && !o.iOwnThisTarget) {
        throw new UsageError(`--target ${t.baseUrl} is not loopback: attack only a deployment you run yourself, and say so with --i-own-this-target`);
      }
    }
    const logins = parseLogins(o.login);
    if (!logins.length && o.customers + o.floodCustomers > 0) report.notes.push('no --login: the real-customer checks are skipped (they need a technician to create sessions)');
    await attackOne('target', targets[0]!, logins[0], o.adminUrl, o, report);
  } else {
    for (const registry of o.registry) {
      if (registry !== 'memory' && registry !== 'redis') throw new UsageError(`--registry ${registry}: expected memory or redis`);
      let redis: RedisServer | undefined;
      let gw: LocalGateway | undefined;
      try {
        if (registry === 'redis') redis = await startRedisServer();
        gw = await startLocalGateway({
          technicians: 1,
          args: [
            ...defaultLimitFlags, '--cap-loopback', 'true', '--max-connections', String(o.maxConnections),
            ...(redis ? ['--registry', 'redis', '--redis-url', redis.url, '--account-store', 'file'] : []),
          ],
        });
        await attackOne(registry, gw.target, gw.technicians[0], o.adminUrl ?? `http://127.0.0.1:${gw.adminPort}`, o, report);
      } finally {
        await gw?.stop();
        await redis?.stop();
      }
    }
  }
  finish(report, o);
}

async function attackOne(label: string, target: Target, login: Credentials | undefined, adminUrl: string | undefined, o: Values, report: BenchReport): Promise<void> {
  const tech = login ? clientFor(target) : undefined;
  if (tech && login) await tech.client.login(login.username, login.password);
  try {
    const guessing = await guessPins(target, tech?.client, o);
    const flood = await floodConnections(target, tech?.client, o);
    const logins = login && o.loginFloodRate > 0 ? await floodLogins(target, login, o) : null;
    const malformed = await sendMalformed(target, adminUrl, o.malformedTimeout);
    (report.figures.runs as Record<string, unknown>)[label] = { guessing, flood, logins, malformed };
    addTables(label, guessing, flood, logins, malformed, o, report);
  } finally {
    tech?.close();
  }
}

// ---- PIN guessing ---------------------------------------------------------------------------------------

type JoinOutcome = 'joined' | 'E_PIN_INVALID' | 'E_RATE_LIMITED' | string;

/** One join over a fresh WebSocket from `localAddress`; 'joined' when the gateway says "waiting". */
function join(target: Target, pin: string, localAddress: string | undefined, timeoutMs = 15_000): Promise<JoinOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://${target.host}:${target.port}/v1/customer`, { ca: target.ca, localAddress, perMessageDeflate: false });
    const done = (r: JoinOutcome) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'join', pin, name: 'attack bench' })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; code?: string; state?: string };
      if (m.type === 'error') done(m.code ?? 'error');
      else if (m.type === 'state' && m.state === 'waiting') done('joined');
    });
    ws.on('unexpected-response', (_req, res) => done(`HTTP ${res.statusCode}`));
    ws.on('error', (err) => done(`socket: ${err.message.slice(0, 60)}`));
  });
}

interface GuessingResult {
  addresses: number;
  attempts: number;
  evaluated: number;
  refused: number;
  /** Guesses that joined a real session: what got through. */
  hits: number;
  other: Record<string, number>;
  elapsedSeconds: number;
  evaluatedPerAddress: { mean: number; max: number };
  pinDigits: number | null;
  projectedHitsPerYear: number | null;
  customersJoined: number;
  customersTried: number;
  customerFailures: Record<string, number>;
}

async function guessPins(target: Target, tech: import('../../clients/sdk/src/node.js').RelaydeskClient | undefined, o: Values): Promise<GuessingResult> {
  // Attackers: each address in its own /24 (127.100+k.i.2), so per-network budgets do not help the defence here.
  const attackers = addressesPerNetwork(target.host, o.guessAddresses, 100);
  const customerAddresses = addressesPerNetwork(target.host, o.customers, 200);
  const sessions = tech ? await Promise.all(Array.from({ length: o.customers }, () => tech.createSession())) : [];
  const digits = sessions[0]?.pin.length ?? null;
  const width = digits ?? 14;
  const jobs: { address: string | undefined; index: number }[] = [];
  for (let g = 0; g < o.guessesPerAddress; g++) for (let a = 0; a < attackers.length; a++) jobs.push({ address: attackers[a], index: a });
  const byAddress = new Array<number>(attackers.length).fill(0);
  const outcomes = new Map<string, number>();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const r = await join(target, randomPin(width), job.address);
      outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
      if (r === 'E_PIN_INVALID' || r === 'joined') byAddress[job.index]!++;
    }
  };
  // Real customers join while the guessing runs, spread over its expected duration.
  const customers = Promise.all(
    sessions.map(async (s, i) => {
      await new Promise((r) => setTimeout(r, 200 + i * 150));
      return join(target, s.pin, customerAddresses[i]);
    }),
  );
  await Promise.all(Array.from({ length: Math.min(o.concurrency, jobs.length) }, worker));
  const customerOutcomes = await customers;
  const elapsedSeconds = (performance.now() - started) / 1000;
  const take = (k: string) => {
    const n = outcomes.get(k) ?? 0;
    outcomes.delete(k);
    return n;
  };
  const evaluated = take('E_PIN_INVALID');
  const hits = take('joined');
  const refused = take('E_RATE_LIMITED');
  const mean = (evaluated + hits) / attackers.length;
  // Within one window an address had `mean` guesses evaluated; its budget refills once per window, so
  // that is its sustained rate. The projection scales it to the assumed attacker and live sessions.
  const projected = digits === null ? null : (mean / o.pinWindowSeconds) * o.attackerAddresses * SECONDS_PER_YEAR * (o.liveSessions / 10 ** digits);
  const customerFailures: Record<string, number> = {};
  for (const c of customerOutcomes) if (c !== 'joined') customerFailures[c] = (customerFailures[c] ?? 0) + 1;
  return {
    addresses: attackers.length,
    attempts: jobs.length,
    evaluated,
    refused,
    hits,
    other: Object.fromEntries(outcomes),
    elapsedSeconds: round(elapsedSeconds, 1),
    evaluatedPerAddress: { mean: round(mean, 1), max: Math.max(0, ...byAddress) },
    pinDigits: digits,
    projectedHitsPerYear: projected === null ? null : Number(projected.toPrecision(2)),
    customersJoined: customerOutcomes.filter((c) => c === 'joined').length,
    customersTried: customerOutcomes.length,
    customerFailures,
  };
}

/** `count` loopback addresses, each in its own /24, from 127.<offset>.0.2 on (256 per /16). */
function addressesPerNetwork(host: string, count: number, offset: number): (string | undefined)[] {
  if (!isLoopback(host)) return Array.from({ length: count }, () => undefined);
  const out: (string | undefined)[] = [];
  for (let k = 0; out.length < count; k++) out.push(...new SourceAddresses(host, Math.min(256, count - out.length), offset + k, 256).list);
  return out;
}

function randomPin(digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += Math.floor(Math.random() * 10);
  return s;
}

// ---- connection flood -----------------------------------------------------------------------------------

interface FloodResult {
  attempted: number;
  opened: number;
  refused: number;
  other: Record<string, number>;
  /** How long the opened connections stayed before the gateway closed them (it closes silent ones). */
  closedByGatewayWithinSeconds: number | null;
  customersJoined: number;
  customersTried: number;
}

async function floodConnections(target: Target, tech: import('../../clients/sdk/src/node.js').RelaydeskClient | undefined, o: Values): Promise<FloodResult> {
  const address = isLoopback(target.host) ? '127.250.0.2' : undefined;
  const sockets: WebSocket[] = [];
  const other: Record<string, number> = {};
  let opened = 0;
  let refused = 0;
  let closedByGateway = 0;
  const started = performance.now();
  let lastClose = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`wss://${target.host}:${target.port}/v1/customer`, { ca: target.ca, localAddress: address, perMessageDeflate: false });
      ws.on('open', () => {
        opened++;
        sockets.push(ws);
        ws.on('close', () => {
          closedByGateway++;
          lastClose = performance.now();
        });
        resolve();
      });
      ws.on('unexpected-response', (_req, res) => {
        if (res.statusCode === 429 || res.statusCode === 503) refused++;
        else other[`HTTP ${res.statusCode}`] = (other[`HTTP ${res.statusCode}`] ?? 0) + 1;
        res.resume();
        resolve();
      });
      ws.on('error', (err) => {
        other[err.message.slice(0, 60)] = (other[err.message.slice(0, 60)] ?? 0) + 1;
        resolve();
      });
    });
  for (let i = 0; i < o.floodConnections; i += 64) await Promise.all(Array.from({ length: Math.min(64, o.floodConnections - i) }, open));
  const customerAddresses = addressesPerNetwork(target.host, o.floodCustomers, 210);
  const customerOutcomes = tech
    ? await Promise.all(customerAddresses.map(async (a) => join(target, (await tech.createSession()).pin, a)))
    : [];
  // The gateway closes connections without a first message after its hello timeout (10 s); wait a little past it.
  const deadline = performance.now() + o.floodHoldSeconds * 1000;
  while (closedByGateway < opened && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const ws of sockets) ws.terminate();
  return {
    attempted: o.floodConnections,
    opened,
    refused,
    other,
    closedByGatewayWithinSeconds: opened > 0 && closedByGateway === opened ? round((lastClose - started) / 1000, 1) : null,
    customersJoined: customerOutcomes.filter((c) => c === 'joined').length,
    customersTried: customerOutcomes.length,
  };
}

// ---- login flood -----------------------------------------------------------------------------------------

interface LoginFloodResult {
  attempted: number;
  byStatus: Record<string, number>;
  /** The technician logging in again and again from the address it logged in from before the flood. */
  known: { ok: number; tried: number; latency: ReturnType<Histogram['summaryMs']> };
  /** The same logins just before the flood, for comparison. */
  baseline: ReturnType<Histogram['summaryMs']>;
  /** The same technician from addresses it never used: shed like the flood when the budget is spent. */
  fresh: { ok: number; tried: number };
}

/** POST /v1/auth/login on a fresh TLS connection from `localAddress`: the HTTP status (0 = no answer). */
function postLogin(target: Target, username: string, password: string, localAddress: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ username, password });
    const req = httpsRequest(
      { host: target.host, port: target.port, path: '/v1/auth/login', method: 'POST', ca: target.ca, localAddress, agent: false, timeout: 30_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Issue 13: 100 logins a second from fresh addresses made real logins take 5.6 s (p50) and turned half into 503.
 * Here the flood runs while the technician logs in every 200 ms from its usual address, and now and then from a new one.
 */
async function floodLogins(target: Target, login: Credentials, o: Values): Promise<LoginFloodResult> {
  const flooders = addressesPerNetwork(target.host, Math.min(4096, Math.ceil(o.loginFloodRate * o.loginFloodSeconds)), 150);
  const usual = isLoopback(target.host) ? '127.230.0.2' : undefined;
  const freshAddresses = addressesPerNetwork(target.host, 64, 231);
  await postLogin(target, login.username, login.password, usual); // the technician's usual address, known from now on
  const before = new Histogram();
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await postLogin(target, login.username, login.password, usual);
    before.record((performance.now() - t0) * 1000);
  }
  const byStatus: Record<string, number> = {};
  const latency = new Histogram();
  let knownOk = 0;
  let knownTried = 0;
  let freshOk = 0;
  let freshTried = 0;
  const started = performance.now();
  const end = started + o.loginFloodSeconds * 1000;
  const flood: Promise<void>[] = [];
  let sent = 0;
  const fromUsual = (async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      knownTried++;
      if ((await postLogin(target, login.username, login.password, usual)) === 200) knownOk++;
      latency.record((performance.now() - t0) * 1000);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const fromNew = (async () => {
    while (performance.now() < end) {
      freshTried++;
      if ((await postLogin(target, login.username, login.password, freshAddresses[freshTried % freshAddresses.length])) === 200) freshOk++;
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  // Open loop: the flood keeps its rate whatever the gateway answers.
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.loginFloodRate);
    for (; sent < due; sent++) {
      const address = flooders[sent % flooders.length];
      flood.push(postLogin(target, `spray${sent}`, 'Winter2026!', address).then((status) => void (byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1)));
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all([fromUsual, fromNew, ...flood]);
  return { attempted: sent, byStatus, known: { ok: knownOk, tried: knownTried, latency: latency.summaryMs() }, baseline: before.summaryMs(), fresh: { ok: freshOk, tried: freshTried } };
}

// ---- malformed HTTP -------------------------------------------------------------------------------------

const malformedShapes: [string, (path: string) => string][] = [
  ['HTTP/1.0', (p) => `GET ${p} HTTP/1.0\r\n\r\n`],
  ['HTTP/1.0 with Host', (p) => `GET ${p} HTTP/1.0\r\nHost: x\r\n\r\n`],
  ['HTTP/1.1 without Host', (p) => `GET ${p} HTTP/1.1\r\n\r\n`],
  ['HTTP/0.9', (p) => `GET ${p}\r\n\r\n`],
  ['HTTP/2.0 request line', (p) => `GET ${p} HTTP/2.0\r\nHost: x\r\n\r\n`],
  ['folded header', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`],
  ['garbage', () => '\u0000\u0001\u0002 garbage garbage\r\n\r\n'],
  ['bare LF line ends', (p) => `GET ${p} HTTP/1.1\nHost: x\n\n`],
  ['space before colon', (p) => `GET ${p} HTTP/1.1\r\nHost : x\r\n\r\n`],
  ['invalid method', (p) => `G(T ${p} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['NUL in a header', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`],
  ['1 MiB header', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`],
  ['200 headers', (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(90)}\r\n`).join('')}\r\n`],
];

interface MalformedRow {
  listener: string;
  shape: string;
  /** The status line, or what happened instead. */
  answer: string;
  closedAfterMs: number | null;
}

async function sendMalformed(target: Target, adminUrl: string | undefined, timeoutSeconds: number): Promise<MalformedRow[]> {
  const admin = adminUrl ? new URL(adminUrl) : undefined;
  const probes: Promise<MalformedRow>[] = [];
  for (const [shape, make] of malformedShapes) {
    probes.push(probe('main (TLS)', shape, make('/v1/info'), { tls: true, host: target.host, port: target.port }, timeoutSeconds));
    if (admin) probes.push(probe('admin', shape, make('/healthz'), { tls: false, host: admin.hostname, port: Number(admin.port) }, timeoutSeconds));
  }
  return Promise.all(probes);
}

function probe(listener: string, shape: string, bytes: string, to: { tls: boolean; host: string; port: number }, timeoutSeconds: number): Promise<MalformedRow> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let out = '';
    // Trust is not what is probed here: the gateway's certificate is not checked for these raw requests.
    const socket = to.tls
      ? tlsConnect({ host: to.host, port: to.port, rejectUnauthorized: false }, () => socket.write(bytes))
      : netConnect(to.port, to.host, () => socket.write(bytes));
    const timer = setTimeout(() => finish('no answer', null), timeoutSeconds * 1000);
    let finished = false;
    const finish = (answer: string, closedAfterMs: number | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ listener, shape, answer, closedAfterMs });
    };
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => finish(out ? out.split('\r\n')[0]!.slice(0, 60) : 'closed without an answer', Math.round(performance.now() - t0)));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(out ? out.split('\r\n')[0]!.slice(0, 60) : `reset (${err.code ?? err.message})`, Math.round(performance.now() - t0)));
  });
}

// ---- report ---------------------------------------------------------------------------------------------

function addTables(label: string, g: GuessingResult, f: FloodResult, l: LoginFloodResult | null, m: MalformedRow[], o: Values, report: BenchReport): void {
  report.tables.push({
    title: `PIN guessing [${label}]: ${g.addresses} addresses (each in its own /24) × ${o.guessesPerAddress} wrong PINs`,
    columns: ['attempts', 'evaluated', 'refused', 'hits', 'other', 'evaluated/address (mean, max)', 'seconds', 'PIN digits', `projected hits/year (${o.attackerAddresses.toLocaleString('en-US')} addresses, ${o.liveSessions.toLocaleString('en-US')} live)`],
    rows: [[g.attempts, g.evaluated, g.refused, g.hits, Object.values(g.other).reduce((a, b) => a + b, 0), `${g.evaluatedPerAddress.mean}, ${g.evaluatedPerAddress.max}`, g.elapsedSeconds, g.pinDigits ?? '-', g.projectedHitsPerYear ?? '-']],
  });
  report.tables.push({
    title: `Real customers [${label}]`,
    columns: ['during', 'joined', 'tried', 'failures'],
    rows: [
      ['PIN guessing', g.customersJoined, g.customersTried, JSON.stringify(g.customerFailures)],
      [`flood of ${f.attempted} connections from one address`, f.customersJoined, f.customersTried, '-'],
    ],
  });
  report.tables.push({
    title: `Connection flood [${label}]: one address opens ${f.attempted} WebSockets and sends nothing`,
    columns: ['opened', 'refused (429/503)', 'other', 'all closed by the gateway after s'],
    rows: [[f.opened, f.refused, JSON.stringify(f.other), f.closedByGatewayWithinSeconds ?? 'not all']],
  });
  if (l) {
    report.tables.push({
      title: `Login flood [${label}]: ${o.loginFloodRate}/s from fresh addresses for ${o.loginFloodSeconds} s, random usernames`,
      columns: ['flood logins', '401 (checked)', '503 (shed before hashing)', 'other', 'technician, usual address: ok/tried', 'p50 ms (before the flood)', 'p99 ms (before)', 'technician, new address: ok/tried'],
      rows: [[l.attempted, l.byStatus['401'] ?? 0, l.byStatus['503'] ?? 0, JSON.stringify(Object.fromEntries(Object.entries(l.byStatus).filter(([k]) => k !== '401' && k !== '503'))),
        `${l.known.ok}/${l.known.tried}`, `${l.known.latency.p50Ms} (${l.baseline.p50Ms})`, `${l.known.latency.p99Ms} (${l.baseline.p99Ms})`, `${l.fresh.ok}/${l.fresh.tried}`]],
    });
  }
  report.tables.push({
    title: `Malformed HTTP [${label}]`,
    columns: ['listener', 'request', 'answer', 'closed after ms'],
    rows: m.map((r) => [r.listener, r.shape, r.answer, r.closedAfterMs ?? '-']),
  });
  const customerShare = g.customersTried ? g.customersJoined / g.customersTried : null;
  const answered = m.filter((r) => /^HTTP\/1\.[01] [45]\d\d|^HTTP\/1\.[01] 200/.test(r.answer) && r.closedAfterMs !== null && r.closedAfterMs < 1000);
  report.goals.push(
    { goal: `[${label}] < 1 expected PIN hit per year (${o.attackerAddresses} addresses, ${o.liveSessions} live sessions)`, measured: `${g.projectedHitsPerYear ?? '?'} (hits in this run: ${g.hits})`, met: g.projectedHitsPerYear === null ? null : g.projectedHitsPerYear < 1 && g.hits === 0 },
    { goal: `[${label}] ≥ 99% of real customers join during the guessing`, measured: customerShare === null ? 'not run' : `${g.customersJoined}/${g.customersTried}`, met: customerShare === null ? null : customerShare >= 0.99 },
    { goal: `[${label}] one address cannot take the gateway: customers join during the flood`, measured: f.customersTried ? `${f.customersJoined}/${f.customersTried}, flood held ${f.opened}` : 'not run', met: f.customersTried ? f.customersJoined === f.customersTried : null },
    { goal: `[${label}] a login flood does not keep the technician out (usual address)`, measured: l ? `${l.known.ok}/${l.known.tried}, p50 ${l.known.latency.p50Ms} ms` : 'not run', met: l ? l.known.ok === l.known.tried : null },
    { goal: `[${label}] malformed HTTP answered (400/431/505) and closed at once`, measured: `${answered.length}/${m.length} requests`, met: answered.length === m.length },
  );
  if (g.refused === 0) report.notes.push(`[${label}] no guess was refused: raise --guesses-per-address above the target's pinGuessesPerAddress for a projection of its real budget`);
  if (m.some((r) => r.listener.startsWith('main') && r.answer === 'no answer')) {
    report.notes.push(`[${label}] the main listener (uWS.js 20.30) cannot answer malformed requests: its parser treats them as incomplete and closes after its 10 s HTTP timeout (docs/security.md)`);
  }
}
