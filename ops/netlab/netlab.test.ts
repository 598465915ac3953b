import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLab, labUnavailableReason, type Lab } from './lab.js';
import { probe, repoRoot, spawnProbe, startLabGateway, withJsonLines, type LabGateway } from './lab-gateway.js';
import { startSquid } from './squid.js';
import { listNamespaces } from './namespaces.js';

// One lab for the whole file (building it takes about a second; each probe is a process in a namespace).
const unavailable = labUnavailableReason();
if (unavailable) console.warn(`ops/netlab tests skipped: ${unavailable}`);

type StunProbe = { localPort: number; mapped: ({ address: string; port: number } | { error: string })[] };

describe.skipIf(unavailable !== null)('NAT lab', () => {
  let lab: Lab;
  let gateway: LabGateway;
  const SECOND_STUN_PORT = 3478;

  beforeAll(async () => {
    lab = await buildLab([
      { name: 'pub', nat: 'public' },
      { name: 'cone', nat: 'cone' },
      { name: 'sym', nat: 'symmetric' },
      { name: 'dbl', nat: 'double' },
      { name: 'udp', nat: 'udpBlocked' },
      { name: 'prx', nat: 'proxyOnly' },
    ]);
    gateway = await startLabGateway(lab);
    const second = lab.spawn(lab.gateway.ns, process.execPath, ['--import', 'tsx', 'ops/netlab/probe.ts', 'serve-stun', String(SECOND_STUN_PORT)]);
    await new Promise((resolve, reject) => {
      second.stdout!.once('data', resolve);
      second.once('exit', reject);
    });
  }, 45_000);

  afterAll(async () => {
    await gateway?.stop();
    await lab?.close();
    const left = (await listNamespaces()).filter((n) => lab && n.includes(`-${lab.id}-`) && n.startsWith(`rdlab-${process.pid}-`));
    expect(left).toEqual([]);
  });

  const stunFrom = (party: string) => probe<StunProbe>(lab, lab.party(party).ns, ['stun', gateway.host, `${gateway.stunPort},${SECOND_STUN_PORT}`]);

  it("the gateway's STUN endpoint shows each party the address its NAT gives it", async () => {
    const [pub, cone, sym, dbl, udp, prx] = await Promise.all(['pub', 'cone', 'sym', 'dbl', 'udp', 'prx'].map(stunFrom));
    // No NAT: its own address and port, towards both destinations.
    expect(pub!.mapped).toEqual([0, 1].map(() => ({ family: 4, address: lab.party('pub').address, port: pub!.localPort })));
    // Endpoint-independent NAT (and two of them, stacked): the router's address, port kept, same for both.
    for (const [name, p] of [['cone', cone], ['dbl', dbl]] as const) {
      expect(p!.mapped).toEqual([0, 1].map(() => ({ family: 4, address: lab.party(name).publicAddress, port: p!.localPort })));
    }
    // Symmetric NAT: the router's address, a fresh port per destination.
    const [a, b] = sym!.mapped as { address: string; port: number }[];
    expect([a!.address, b!.address]).toEqual([lab.party('sym').publicAddress, lab.party('sym').publicAddress]);
    expect(a!.port).not.toBe(b!.port);
    // UDP blocked, and a network that lets only TCP 443 out (through its proxy): no answer at all.
    for (const p of [udp, prx]) expect(p!.mapped).toEqual([{ error: expect.stringContaining('no STUN answer') }, { error: expect.stringContaining('no STUN answer') }]);
  });

  it('a proxy-only network reaches nothing directly, and the lab reaches nothing outside it', async () => {
    const [prxToGateway, udpToGateway, toOutside, gwToOutside] = await Promise.all([
      probe<{ tcp: string }>(lab, lab.party('prx').ns, ['tcp', gateway.host, String(gateway.port)]),
      probe<{ tcp: string }>(lab, lab.party('udp').ns, ['tcp', gateway.host, String(gateway.port)]),
      // Any address outside the lab (here a public one): no lab namespace has a route to it.
      probe<{ tcp: string }>(lab, lab.party('cone').ns, ['tcp', '192.88.99.1', '443']),
      probe<{ tcp: string }>(lab, lab.gateway.ns, ['tcp', '192.88.99.1', '443']),
    ]);
    expect(prxToGateway.tcp).toBe('timeout');
    expect(udpToGateway.tcp).toBe('open'); // TCP still goes through where only UDP is blocked
    expect(['ENETUNREACH', 'EHOSTUNREACH']).toContain(toOutside.tcp);
    expect(gwToOutside.tcp).toBe('ENETUNREACH');
  });

  it('behind a network that lets only TCP 443 out through squid, the agent reaches the gateway with HTTPS_PROXY', async () => {
    const prx = lab.party('prx');
    const credentials = { user: 'pat', password: 'proxy-secret' };
    const squid = await startSquid({ host: prx.proxy!.host, port: prx.proxy!.port, connectPorts: [443], users: { [credentials.user]: credentials.password }, spawnIn: (cmd, args) => lab.spawn(prx.proxy!.ns, cmd, args) });
    try {
      const tech = spawnProbe(lab, lab.gateway.ns, ['technician', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password]);
      const { pin } = (await tech.waitFor((l) => 'pin' in l)) as { pin: string };
      const agent = withJsonLines(
        lab.spawn(prx.ns, process.execPath, ['--import', 'tsx', 'clients/agent/agent.ts', '--gateway', gateway.baseUrl, '--ca', gateway.caFile, '--pin', pin, '--name', 'Pat'], {
          cwd: repoRoot,
          env: { ...process.env, HTTPS_PROXY: squid.url(credentials) },
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      await agent.waitFor((l) => String(l.text).includes('technician: hello from the technician'));
      agent.child.stdin!.write('hi from behind the proxy\n');
      // prx reaches nothing but its proxy (the test above), so this chat went through squid.
      expect(await tech.waitFor((l) => 'chat' in l)).toEqual({ chat: 'hi from behind the proxy' });
    } finally {
      await squid.stop();
    }
  });
});
