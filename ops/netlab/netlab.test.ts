import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLab, labUnavailableReason, type Lab } from './lab.js';
import { probe, repoRoot, spawnProbe, startLabGateway, withJsonLines, type LabGateway } from './lab-gateway.js';
import { runPathPair } from './path-pair.js';
import { startSquid } from './squid.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { LAB_PREFIX, listNamespaces, sweepStaleNamespaces } from './namespaces.js';

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
      { name: 'cone2', nat: 'cone' },
      { name: 'sym2', nat: 'symmetric' },
      { name: 'home1', nat: 'cone', lan: 'home' },
      { name: 'home2', nat: 'cone', lan: 'home' },
      { name: 'mc', nat: 'cone' },
      { name: 'rest', nat: 'restricted' },
      { name: 'sym3', nat: 'symmetric' },
    ], { tag: 'p2' });
    gateway = await startLabGateway(lab);
    const second = await spawnProbe(lab, lab.gateway.ns, ['serve-stun', String(SECOND_STUN_PORT)]);
    await second.waitFor((l) => 'listening' in l);
  }, 45_000);

  afterAll(async () => {
    await gateway?.stop();
    await lab?.close();
    const left = (await listNamespaces()).filter((n) => lab && n.includes(`-${lab.id}-`) && n.startsWith(`rdlab-${process.pid}-`));
    expect(lab.id).toMatch(/^p2/);
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
      const tech = await spawnProbe(lab, lab.gateway.ns, ['technician', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password]);
      const { pin } = (await tech.waitFor((l) => 'pin' in l)) as { pin: string };
      const agent = withJsonLines(
        lab.spawn(prx.ns, process.execPath, ['--import', 'tsx', 'clients/agent/agent.ts', '--gateway', gateway.baseUrl, '--ca', gateway.caFile, '--pin', pin, '--name', 'Pat'], {
          cwd: repoRoot,
          env: { ...process.env, HTTPS_PROXY: squid.url(credentials) },
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      await agent.waitFor((l) => String(l.text).endsWith(': hello from the technician'));
      agent.child.stdin!.write('hi from behind the proxy\n');
      // prx reaches nothing but its proxy (the test above), so this chat went through squid.
      expect(await tech.waitFor((l) => 'chat' in l)).toEqual({ chat: 'hi from behind the proxy' });
    } finally {
      await squid.stop();
    }
  });

  it('pairs of parties end on the path their networks allow, and the relay keeps working beside it', async () => {
    // [customer, technician, expected path]: at least one side not behind a symmetric NAT → direct.
    const pairs: [string, string, string][] = [
      ['home1', 'home2', 'tcp'], // same LAN: host candidates
      ['udp', 'pub', 'tcp'], // UDP blocked: TCP still goes direct (the reachable side listens, the other connects)
      ['cone', 'cone2', 'tcp'], // both behind NAT: TCP simultaneous open
      ['udp', 'dbl', 'tcp'], // UDP blocked behind NAT, against a double NAT: simultaneous open too
      ['sym', 'cone2', 'udp'], // symmetric against an endpoint-independent NAT: UDP hole punch
      ['rest', 'sym3', 'tcp'], // symmetric against port-keeping, port-restricted MASQUERADE: TCP birthday punch
      ['sym3', 'udp', 'tcp'], // symmetric against UDP blocked: only TCP, by a birthday punch too
      ['sym', 'sym2', 'relay'], // nothing direct works: stays on the relay
    ];
    // All at once: most of a pair's time is waiting on the network (the relay pair waits out its bounds).
    // Beside them the customer agent itself (agent.ts, no X display: chat only) behind the port-restricted NAT,
    // with a technician using the SDK's path layer behind the symmetric one: it goes direct by a birthday punch.
    const agentRun = (async () => {
      const tech = await spawnProbe(lab, lab.party('sym3').ns, ['move-tech', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password]);
      const { pin } = (await tech.waitFor((l) => 'pin' in l, 30_000)) as { pin: string };
      const agent = withJsonLines(
        lab.spawn(lab.party('rest').ns, process.execPath, ['--import', 'tsx', 'clients/agent/agent.ts', '--gateway', gateway.baseUrl, '--ca', gateway.caFile, '--pin', pin, '--name', 'Pat'], { cwd: repoRoot, env: { ...process.env, DISPLAY: '' }, stdio: ['pipe', 'pipe', 'pipe'] }),
      );
      try {
        const said = await agent.waitFor((l) => String(l.text).startsWith('direct path to the technician'), 40_000);
        return { agent: said.text, tech: await tech.waitFor((l) => 'using' in l, 10_000) };
      } finally {
        agent.child.kill('SIGKILL');
        tech.child.kill('SIGKILL');
      }
    })();
    const results = await Promise.all(pairs.map(([c, k]) => runPathPair(lab, gateway, c, k)));
    expect(await agentRun).toEqual({ agent: expect.stringMatching(/^direct path to the technician: TLS over TCP \(birthday punch\) to 203\.0\.113\.\d+:\d+$/), tech: { using: 'tcp' } });
    expect(results.map((r) => `${r.customer}/${r.technician}: ${r.path} ${r.customerPath}`)).toEqual(pairs.map(([c, k, p]) => `${c}/${k}: ${p} ${p}`));
    for (const r of results.filter((r) => r.customer.startsWith('sym3') || r.technician.startsWith('sym3'))) expect(r.attempts.at(-1)).toMatchObject({ kind: 'birthday', result: 'connected' });
    for (const r of results) {
      expect(r.relayChat).toBe('echo: relay check');
      if (r.path !== 'relay') expect({ pair: `${r.customer}/${r.technician}`, echoed: r.echoed, inOrder: r.inOrder }).toEqual({ pair: `${r.customer}/${r.technician}`, echoed: 20, inOrder: true });
    }
    console.info(results.map((r) => `${r.customer}/${r.technician}: ${r.path} in ${r.ms} ms`).join('\n'));
  }, 60_000);

  it('a machine in the middle of the direct TCP path sees no plaintext, and tampering kills the path without delivering anything altered', async () => {
    const router = lab.party('mc').edgeNs!;
    const routerLan = lab.party('mc').address.replace(/\d+$/, (n) => String(Number(n) - 1));
    const target = lab.party('pub').address;
    const run = async (mode: 'observe' | 'tamper', port: number, mitmPort: number) => {
      const mitm = await spawnProbe(lab, router, ['mitm', mode, String(mitmPort), target, String(port)]);
      await mitm.waitFor((l) => 'listening' in l);
      const rule = ['-t', 'nat', 'PREROUTING', '-i', 'lan', '-p', 'tcp', '-d', target, '--dport', String(port), '-j', 'DNAT', '--to-destination', `${routerLan}:${mitmPort}`];
      await lab.exec(router, 'iptables', [rule[0]!, rule[1]!, '-I', ...rule.slice(2)]);
      try {
        const r = await runPathPair(lab, gateway, 'pub', 'mc', { customerTcpPort: port });
        // The forwarder reports every 200 ms: take a report made after the pair finished.
        const reportsBefore = mitm.lines.length;
        await mitm.waitFor(() => mitm.lines.length >= reportsBefore + 2, 5000);
        const seen = mitm.lines.at(-1) as { sawMarker: boolean; bytes: number };
        return { r, seen };
      } finally {
        await lab.exec(router, 'iptables', [rule[0]!, rule[1]!, '-D', ...rule.slice(2)]);
        mitm.child.kill('SIGKILL');
      }
    };
    const [observed, tampered] = await Promise.all([run('observe', 7443, 7000), run('tamper', 7444, 7001)]);
    expect(observed.r.path).toBe('tcp');
    expect(observed.seen.bytes).toBeGreaterThan(1000); // the path really ran through it
    expect(observed.seen.sawMarker).toBe(false);
    expect([observed.r.echoed, observed.r.inOrder]).toEqual([20, true]);
    expect(tampered.r.path).toBe('tcp');
    expect(tampered.r.pathClosed).not.toBeNull(); // TLS refused the altered record and the path died
    expect(tampered.r.inOrder).toBe(true); // whatever arrived before that is intact
    expect(tampered.r.echoed).toBeLessThan(20);
    expect(tampered.r.relayChat).toBe('echo: relay check');
  }, 60_000);

  it('a direct path that dies under traffic: the session is back on the relay within about 2 s, no message lost or repeated', async () => {
    const tech = await spawnProbe(lab, lab.party('cone').ns, ['move-tech', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password]);
    const { pin } = (await tech.waitFor((l) => 'pin' in l)) as { pin: string };
    const customer = await spawnProbe(lab, lab.party('pub').ns, ['move-customer', gateway.baseUrl, gateway.caFile, pin]);
    const router = lab.party('cone').edgeNs!;
    const pub = lab.party('pub').address;
    const cut = [['FORWARD', '-d', pub, '-j', 'DROP'], ['FORWARD', '-s', pub, '-j', 'DROP']];
    try {
      expect(await tech.waitFor((l) => 'using' in l)).toEqual({ using: 'tcp' });
      // The direct path goes silent (the relay, through the gateway, is untouched): as when a NAT forgets it.
      for (const rule of cut) await lab.exec(router, 'iptables', ['-I', ...rule]);
      const cutAt = Date.now();
      const { fallback } = (await tech.waitFor((l) => 'fallback' in l, 10_000)) as { fallback: { reason: string } };
      const fellBackMs = Date.now() - cutAt;
      expect(fallback.reason).toBe('keepalive timeout');
      // By design 1.5 s of silence plus at most one 500 ms keep-alive tick; the margin is for a loaded machine.
      expect(fellBackMs).toBeLessThan(3000);
      console.info(`direct path cut: back on the relay after ${fellBackMs} ms`);
      expect(await customer.waitFor((l) => 'received' in l, 20_000)).toMatchObject({ received: 200, inOrder: true });
    } finally {
      for (const rule of cut) await lab.exec(router, 'iptables', ['-D', ...rule]).catch(() => undefined);
      tech.child.kill('SIGKILL');
      customer.child.kill('SIGKILL');
    }
  });

  it("a sweep removes the namespaces of a run that was killed, never a live run's", async () => {
    const dead = spawnSync('true').pid!; // a pid that has just exited
    const stale = `${LAB_PREFIX}${dead}-z-left`;
    const live = `${LAB_PREFIX}${process.pid}-z-mine`;
    for (const ns of [stale, live]) execFileSync('ip', ['netns', 'add', ns]);
    try {
      expect(await sweepStaleNamespaces()).toContain(stale);
      const left = await listNamespaces();
      expect(left).not.toContain(stale);
      expect(left).toContain(live);
    } finally {
      for (const ns of [stale, live]) spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
