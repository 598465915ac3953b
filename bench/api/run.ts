/**
 * `npm run bench -- api`: autocannon on the HTTP API (login, create session, list waiting) of one
 * gateway, and on a bare uWS.js hello-world with the same TLS setup in its own process, for the ratio
 * "session creation / hello-world": what the gateway's API logic costs above uWS itself.
 */
import autocannon from 'autocannon';
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import { cpuMs, repoRoot, startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { Timeline } from '../lib/load-profile.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress } from '../lib/progress.js';
import { newReport } from '../lib/report.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, parseLogins, parseTargets, type Target } from '../lib/targets.js';

const options = {
  ...commonOptions,
  endpoints: { kind: 'list', default: ['create', 'list', 'login'], help: 'endpoints to load: create, list, login' },
  connections: { kind: 'int', default: 50, min: 1, help: 'autocannon connections' },
  pipelining: { kind: 'int', default: 1, min: 1, help: 'requests in flight per connection' },
  duration: { kind: 'number', default: 10, min: 0.2, help: 'seconds per endpoint' },
  waiting: { kind: 'int', default: 20, min: 0, help: 'customers waiting while "list" runs (the list is not empty)' },
  'no-hello': { kind: 'flag', help: 'skip the uWS hello-world baseline' },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  endpoints: string[];
  connections: number;
  pipelining: number;
  duration: number;
  waiting: number;
  noHello?: boolean;
}

interface Row {
  endpoint: string;
  server: string;
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  latency: ReturnType<Histogram['summaryMs']>;
  serverCpuPercent?: number;
  /** Requests per CPU-second of the server process: what the server can do per core, whatever limits the client. */
  requestsPerServerCpuSecond?: number;
  throughput: [number, number][];
  latencyBins: ReturnType<Histogram['bins']>;
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('api', options, argv);
  if (parsed.help) return void process.stdout.write(usage('api', options) + '\n');
  const o = common(parsed) as Values;
  for (const e of o.endpoints) if (!['create', 'list', 'login'].includes(e)) throw new UsageError(`--endpoints ${e}: expected create, list or login`);
  const report = newReport('api', argv, { ...o });
  const rows: Row[] = [];
  let gw: LocalGateway | undefined;
  let hello: ChildProcess | undefined;
  const cleanup: (() => void)[] = [];
  try {
    let target: Target;
    let login;
    if (o.target.length) {
      target = parseTargets(o.target, o.ca)[0]!;
      login = parseLogins(o.login)[0];
      if (!login) throw new UsageError('--target needs --login user:password');
    } else {
      gw = await startLocalGateway({ technicians: 1 });
      target = gw.target;
      login = gw.technicians[0]!;
    }
    const sources = new SourceAddresses(target.host, o.sourceAddresses);
    const tech = clientFor(target, sources.take());
    cleanup.push(() => tech.close());
    const { token } = await tech.client.login(login.username, login.password);
    for (let i = 0; i < o.waiting; i++) {
      const cust = clientFor(target, sources.take());
      const s = await tech.client.createSession();
      const conn = await cust.client.joinSession({ pin: s.pin }, `waiting ${i}`);
      cleanup.push(() => (conn.close(), cust.close()));
    }
    const url = target.baseUrl;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const requests: Record<string, autocannon.Options> = {
      create: { url: `${url}/v1/sessions`, method: 'POST', headers: auth, body: '{}' },
      list: { url: `${url}/v1/sessions/waiting`, method: 'GET', headers: auth },
      login: { url: `${url}/v1/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: login.username, password: login.password }) },
    };
    for (const e of o.endpoints) rows.push(await cannon(e, 'relaydesk', requests[e]!, o, target.ca, gw?.pid));
    if (!o.noHello && gw) {
      hello = spawn(process.execPath, ['--import', 'tsx', 'bench/api/hello-server.ts', gw.tls.certFile, gw.tls.keyFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = (await Promise.race([once(createInterface({ input: hello.stdout! }), 'line'), new Promise((_, rej) => setTimeout(() => rej(new Error('hello-server did not start')), 20_000).unref())])) as [string];
      const port = Number(line);
      rows.push(await cannon('create', 'uWS hello-world', { ...requests.create!, url: `https://127.0.0.1:${port}/v1/sessions` }, o, target.ca, hello.pid));
    }
  } finally {
    for (const c of cleanup) c();
    if (hello && hello.exitCode === null) {
      hello.kill('SIGTERM');
      await once(hello, 'exit');
    }
    await gw?.stop();
  }
  report.figures.runs = rows;
  const create = rows.find((r) => r.endpoint === 'create' && r.server === 'relaydesk');
  const base = rows.find((r) => r.server === 'uWS hello-world');
  if (create && base) {
    report.figures.createVsHelloRatio = round(create.requestsPerSecond / base.requestsPerSecond, 3);
    report.goals.push({ goal: 'session creation / uWS hello-world, req/s', measured: `${report.figures.createVsHelloRatio} (${round(create.requestsPerSecond, 0)} vs ${round(base.requestsPerSecond, 0)} req/s)`, met: null });
    if (create.requestsPerServerCpuSecond && base.requestsPerServerCpuSecond) {
      report.figures.createVsHelloPerCpuRatio = round(create.requestsPerServerCpuSecond / base.requestsPerServerCpuSecond, 3);
      report.goals.push({ goal: 'session creation / uWS hello-world, req per server CPU-second', measured: `${report.figures.createVsHelloPerCpuRatio} (${create.requestsPerServerCpuSecond} vs ${base.requestsPerServerCpuSecond})`, met: null });
    }
  }
  report.tables.push({
    title: `API under autocannon (${o.connections} connections, pipelining ${o.pipelining})`,
    columns: ['endpoint', 'server', 'requests', 'req/s', 'non-2xx', 'errors', 'p50 ms', 'p99 ms', 'server CPU %', 'req per server CPU-s'],
    rows: rows.map((r) => [r.endpoint, r.server, r.requests, round(r.requestsPerSecond, 0), r.non2xx, r.errors, r.latency.p50Ms, r.latency.p99Ms, r.serverCpuPercent ?? '-', r.requestsPerServerCpuSecond ?? '-']),
  });
  report.notes.push('When the client (autocannon, one thread) saturates before the server, req/s measures the client; the server CPU % column shows which, and req per server CPU-s compares the servers themselves.');
  report.notes.push('autocannon does not verify certificates (it connects with rejectUnauthorized: false); the TLS handshake and ciphers are otherwise the same as for a pinned client.');
  report.charts.push({ id: 'requests', title: 'Requests per second', kind: 'bars', yLabel: 'req/s', groups: rows.map((r) => `${r.endpoint} (${r.server})`), series: [{ name: 'req/s', values: rows.map((r) => round(r.requestsPerSecond, 0)) }] });
  report.charts.push({ id: 'latency', title: 'Latency', kind: 'histogram', xLabel: 'ms (log scale)', yLabel: '% of requests', series: rows.map((r) => ({ name: `${r.endpoint} (${r.server})`, bins: r.latencyBins })) });
  report.charts.push({ id: 'over-time', title: 'Requests per second over time', kind: 'line', xLabel: 'seconds', yLabel: 'req/s', series: rows.map((r) => ({ name: `${r.endpoint} (${r.server})`, points: r.throughput })) });
  finish(report, o);
}

async function cannon(endpoint: string, server: string, req: autocannon.Options, o: Values, ca: string | undefined, pid?: number): Promise<Row> {
  const histogram = new Histogram();
  const timeline = new Timeline(250);
  let done = 0;
  let bad = 0;
  const progress = new Progress(`api ${endpoint} (${server})`, () => `requests ${done.toLocaleString('en-US')}  non-2xx ${bad}  p99 ${histogram.summaryMs().p99Ms} ms`, { quiet: o.quiet }).start();
  const cpu0 = pid ? cpuMs(pid) : undefined;
  const t0 = performance.now();
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({ ...req, connections: o.connections, pipelining: o.pipelining, duration: o.duration, tlsOptions: { ca } }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    done++;
    if (status < 200 || status >= 300) bad++;
    histogram.record(ms * 1000);
    timeline.mark();
  });
  const result = await finished;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = pid ? cpuMs(pid) : undefined;
  progress.stop();
  return {
    endpoint,
    server,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latency: histogram.summaryMs(),
    serverCpuPercent: cpu0 !== undefined && cpu1 !== undefined ? round((cpu1 - cpu0) / 10 / elapsed, 0) : undefined,
    requestsPerServerCpuSecond: cpu0 !== undefined && cpu1 !== undefined && cpu1 > cpu0 ? round(result.requests.total / ((cpu1 - cpu0) / 1000), 0) : undefined,
    throughput: timeline.perSecond(),
    latencyBins: histogram.bins(40),
  };
}
