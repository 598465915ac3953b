import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { deleteNamespace, deleteNamespaceSync, namespaceName, sweepStaleNamespaces } from './namespaces.js';
import { PROXY_PORT, routerRules, type NatKind } from './nat-rules.js';
import { runCommand } from './run-command.js';

/**
 * The NAT lab: network namespaces joined by veth pairs. One "public" segment (203.0.113.0/24, a bridge in its
 * own namespace) holds the gateway (203.0.113.10), parties without NAT and the outside of every NAT router;
 * each LAN behind a router is a /28 of 198.51.100.0/24 (the middle segment of a double NAT: 192.0.2.0/24).
 * Nothing is linked to the host's namespace and the only default routes point at lab routers, so the lab has
 * no route to any network outside it.
 */
export interface PartySpec {
  /** Short name, [a-z0-9]{1,10}: it becomes part of the namespace name. */
  name: string;
  nat: NatKind;
  /** Parties naming the same LAN share one router and segment (same-LAN pairs); default: a LAN of its own. */
  lan?: string;
}

export interface LabParty {
  readonly name: string;
  readonly nat: NatKind;
  readonly ns: string;
  /** The party's own address (inside its LAN, or on the public segment). */
  readonly address: string;
  /** The address the public segment sees it as (its outermost router's, or its own without NAT). */
  readonly publicAddress: string;
  /** Namespace of the router whose outside is on the public segment (netem goes on its `wan`). */
  readonly edgeNs: string | null;
  /** The HTTP proxy a `proxyOnly` party must use (squid is started by the caller, see squid.ts). */
  readonly proxy: { host: string; port: number; ns: string } | null;
}

export interface Lab {
  readonly id: string;
  readonly gateway: { readonly ns: string; readonly address: string };
  readonly parties: ReadonlyMap<string, LabParty>;
  party(name: string): LabParty;
  /** Runs a command inside a namespace (bounded in time) and returns its stdout. */
  exec(ns: string, cmd: string, args: string[], input?: string, timeoutMs?: number): Promise<string>;
  /** Starts a long-running process inside a namespace; close() kills it. */
  spawn(ns: string, cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /**
   * Shapes the outside link of a party's network with netem (delay, loss, rate; both directions). Where the
   * kernel has no netem, loss only (iptables statistic): both directions behind a router, inbound for a party
   * without NAT (shape both ends then).
   */
  shape(party: string, netem: { delayMs?: number; lossPercent?: number; rateMbit?: number } | null): Promise<void>;
  /** Kills every process started in the lab and deletes every namespace. Safe to call twice. */
  close(): Promise<void>;
}

export const GATEWAY_ADDRESS = '203.0.113.10';
const NAME = /^[a-z0-9]{1,10}$/;
const MAX_LANS = 15; // /28 LANs in one /24

let labCounter = 0;
let netemAvailable: boolean | undefined;

/** Whether this kernel offers sch_netem (tried on a lab namespace's loopback). */
async function probeNetem(ns: string): Promise<boolean> {
  try {
    await runCommand('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    await runCommand('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'lo', 'root']);
    return true;
  } catch {
    return false;
  }
}

/** Why the lab cannot run here (not root, no `ip netns`), or null. Tests skip with this message. */
export function labUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces and iptables)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 5000 });
    execFileSync('iptables-restore', ['--version'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return 'the NAT lab needs `ip netns` (iproute2) and iptables';
  }
  return null;
}

/**
 * Builds a lab with the given parties. Sweeps namespaces a killed run left behind first. `tag` ([a-z0-9]{1,4})
 * starts the lab's id, so labs of different work on one machine are told apart by name as well as by pid.
 */
export async function buildLab(parties: PartySpec[], options: { tag?: string } = {}): Promise<Lab> {
  if (options.tag !== undefined && !/^[a-z0-9]{1,4}$/.test(options.tag)) throw new Error(`netlab: bad tag "${options.tag}" ([a-z0-9]{1,4})`);
  await sweepStaleNamespaces();
  const id = `${options.tag ?? ''}${(labCounter++).toString(36)}`;
  const ns = (node: string) => namespaceName(id, node);
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  const onExit = () => {
    for (const c of children) c.kill('SIGKILL');
    for (const n of created) deleteNamespaceSync(n);
  };
  process.once('exit', onExit);

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      process.removeListener('exit', onExit);
      for (const c of children) c.kill('SIGKILL');
      for (const n of created.reverse()) await deleteNamespace(n);
    })());

  try {
    const plan = planLab(parties, ns);
    for (const n of plan.namespaces) {
      await runCommand('ip', ['netns', 'add', n]);
      created.push(n);
    }
    // veth pairs are created straight into their namespaces, so no name ever appears in the host's.
    await runCommand('ip', ['-batch', '-'], plan.links.map((l) => `link add name ${l.aName} netns ${l.aNs} type veth peer name ${l.bName} netns ${l.bNs}`).join('\n') + '\n');
    for (const [n, cmds] of plan.perNamespace) await runCommand('ip', ['-n', n, '-batch', '-'], ['link set lo up', ...cmds].join('\n') + '\n');
    for (const r of plan.routers) {
      await runCommand('ip', ['netns', 'exec', r.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await runCommand('ip', ['netns', 'exec', r.ns, 'iptables-restore'], routerRules(r.kind, r));
    }
  } catch (err) {
    await close();
    throw err;
  }

  const lab: Lab = {
    id,
    gateway: { ns: ns('gw'), address: GATEWAY_ADDRESS },
    parties: new Map(parties.map((p) => [p.name, planParty(parties, p, ns)])),
    party(name) {
      const p = lab.parties.get(name);
      if (!p) throw new Error(`netlab: no party "${name}" in this lab`);
      return p;
    },
    exec: (n, cmd, args, input, timeoutMs) => runCommand('ip', ['netns', 'exec', n, cmd, ...args], input, timeoutMs),
    spawn(n, cmd, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', n, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async shape(name, netem) {
      const p = lab.party(name);
      if (netemAvailable === undefined) netemAvailable = await probeNetem(ns('wan'));
      if (netemAvailable) {
        // Shape both directions of the outside link: the party side's egress and the segment's port towards it.
        const targets: [string, string][] = p.edgeNs ? [[p.edgeNs, 'wan']] : [[p.ns, 'eth0']];
        targets.push([ns('wan'), portName(p, parties)]);
        for (const [n, dev] of targets) {
          await runCommand('tc', ['-n', n, 'qdisc', 'del', 'dev', dev, 'root']).catch(() => undefined);
          if (!netem) continue;
          const args = ['-n', n, 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'limit', '10000'];
          if (netem.delayMs) args.push('delay', `${netem.delayMs / 2}ms`); // half each way: the round trip gets delayMs
          if (netem.lossPercent) args.push('loss', `${netem.lossPercent}%`);
          if (netem.rateMbit) args.push('rate', `${netem.rateMbit}mbit`);
          await runCommand('tc', args);
        }
        return;
      }
      // Without sch_netem (some VM kernels lack it) loss is the same random drop done by iptables' statistic
      // match; delay and rate cannot be emulated, so asking for them is an error rather than a silent no-op.
      if (netem?.delayMs || netem?.rateMbit) throw new Error('netlab: this kernel has no sch_netem: delay and rate shaping are unavailable (loss works through iptables)');
      // Dropped where the party's traffic is forwarded (its router) or where it arrives (a party without NAT):
      // never in a local OUTPUT chain, where a drop would surface to the sender as EPERM instead of a loss.
      const [where, chains] = p.edgeNs ? [p.edgeNs, ['FORWARD']] : [p.ns, ['INPUT']];
      await runCommand('ip', ['netns', 'exec', where, 'iptables', '-F', 'NETLAB-LOSS']).catch(() => runCommand('ip', ['netns', 'exec', where, 'iptables', '-N', 'NETLAB-LOSS']));
      for (const chain of chains) {
        const jump = [chain, '-j', 'NETLAB-LOSS'];
        await runCommand('ip', ['netns', 'exec', where, 'iptables', '-C', ...jump]).catch(() => runCommand('ip', ['netns', 'exec', where, 'iptables', '-I', ...jump]));
      }
      if (netem?.lossPercent) {
        await runCommand('ip', ['netns', 'exec', where, 'iptables', '-A', 'NETLAB-LOSS', '-m', 'statistic', '--mode', 'random', '--probability', String(netem.lossPercent / 100), '-j', 'DROP']);
      }
    },
    close,
  };
  return lab;
}

interface RouterPlan {
  ns: string;
  kind: Exclude<NatKind, 'public'>;
  wan: string;
  lan: string;
  inboundTo?: string;
}

interface Plan {
  namespaces: string[];
  links: { aName: string; aNs: string; bName: string; bNs: string }[];
  perNamespace: Map<string, string[]>;
  routers: RouterPlan[];
}

/** LANs in order of first mention: a party without `lan` has one of its own. */
function lansOf(parties: PartySpec[]): Map<string, PartySpec[]> {
  const lans = new Map<string, PartySpec[]>();
  for (const p of parties) {
    if (p.nat === 'public') continue;
    const key = p.lan ?? `own:${p.name}`;
    const members = lans.get(key) ?? [];
    if (members.length > 0 && members[0]!.nat !== p.nat) throw new Error(`netlab: LAN "${key}" mixes ${members[0]!.nat} and ${p.nat}`);
    members.push(p);
    lans.set(key, members);
  }
  return lans;
}

/** The wan-bridge port name of a party's outside link. */
function portName(p: LabParty, parties: PartySpec[]): string {
  if (p.nat === 'public') return `h${publicIndex(parties, p.name)}`;
  return `r${lanIndex(parties, p.name)}`;
}
const publicIndex = (parties: PartySpec[], name: string) => parties.filter((q) => q.nat === 'public').findIndex((q) => q.name === name);
function lanIndex(parties: PartySpec[], name: string): number {
  return [...lansOf(parties).values()].findIndex((members) => members.some((m) => m.name === name));
}

const lanPrefix = (i: number) => `198.51.100.${16 * i}`;
const innerPrefix = (i: number) => `192.0.2.${16 * i}`;
const plus = (prefix: string, n: number) => prefix.replace(/\d+$/, (last) => String(Number(last) + n));

function planParty(parties: PartySpec[], p: PartySpec, ns: (node: string) => string): LabParty {
  if (p.nat === 'public') {
    const i = publicIndex(parties, p.name);
    const address = `203.0.113.${20 + i}`;
    return { name: p.name, nat: p.nat, ns: ns(p.name), address, publicAddress: address, edgeNs: null, proxy: null };
  }
  const i = lanIndex(parties, p.name);
  const members = [...lansOf(parties).values()][i]!;
  const hostIndex = members.findIndex((m) => m.name === p.name);
  const segment = p.nat === 'double' ? innerPrefix(i) : lanPrefix(i);
  return {
    name: p.name,
    nat: p.nat,
    ns: ns(p.name),
    address: plus(segment, 2 + hostIndex),
    publicAddress: `203.0.113.${100 + i}`,
    edgeNs: ns(`r${i}`),
    proxy: p.nat === 'proxyOnly' ? { host: plus(segment, 1), port: PROXY_PORT, ns: ns(`r${i}`) } : null,
  };
}

function planLab(parties: PartySpec[], ns: (node: string) => string): Plan {
  const names = new Set<string>();
  for (const p of parties) {
    if (!NAME.test(p.name) || p.name === 'gw' || p.name === 'wan' || /^r\d/.test(p.name)) throw new Error(`netlab: bad party name "${p.name}" ([a-z0-9]{1,10}, not gw/wan/r<digit>)`);
    if (names.has(p.name)) throw new Error(`netlab: party "${p.name}" twice`);
    names.add(p.name);
  }
  const lans = [...lansOf(parties).values()];
  if (lans.length > MAX_LANS) throw new Error(`netlab: at most ${MAX_LANS} LANs`);
  if (lans.some((m) => m.length > 13)) throw new Error('netlab: at most 13 parties on one LAN');

  const plan: Plan = { namespaces: [], links: [], perNamespace: new Map(), routers: [] };
  const cmds = (n: string) => {
    let list = plan.perNamespace.get(n);
    if (!list) plan.perNamespace.set(n, (list = []));
    return list;
  };
  const addNs = (n: string) => {
    plan.namespaces.push(n);
    cmds(n);
    return n;
  };

  // The public segment: a bridge; every member hangs on it by a veth pair.
  const wan = addNs(ns('wan'));
  cmds(wan).push('link add br0 type bridge', 'addr add 203.0.113.1/24 dev br0', 'link set br0 up');
  const onPublic = (memberNs: string, memberIf: string, port: string, address: string) => {
    plan.links.push({ aName: memberIf, aNs: memberNs, bName: port, bNs: wan });
    cmds(wan).push(`link set ${port} master br0`, `link set ${port} up`);
    cmds(memberNs).push(`addr add ${address}/24 dev ${memberIf}`, `link set ${memberIf} up`);
  };
  // A LAN: a bridge named `lan` in its router, hosts on it by veth pairs.
  const lanBridge = (routerNs: string, address: string) => cmds(routerNs).push('link add lan type bridge', `addr add ${address}/28 dev lan`, 'link set lan up');
  const onLan = (routerNs: string, port: string, hostNs: string, hostIf: string, address: string, gateway: string) => {
    plan.links.push({ aName: hostIf, aNs: hostNs, bName: port, bNs: routerNs });
    cmds(routerNs).push(`link set ${port} master lan`, `link set ${port} up`);
    cmds(hostNs).push(`addr add ${address}/28 dev ${hostIf}`, `link set ${hostIf} up`, `route add default via ${gateway}`);
  };

  onPublic(addNs(ns('gw')), 'eth0', 'gw', GATEWAY_ADDRESS);
  for (const p of parties.filter((q) => q.nat === 'public')) onPublic(addNs(ns(p.name)), 'eth0', `h${publicIndex(parties, p.name)}`, `203.0.113.${20 + publicIndex(parties, p.name)}`);

  lans.forEach((members, i) => {
    const kind = members[0]!.nat as Exclude<NatKind, 'public'>;
    const edge = addNs(ns(`r${i}`));
    onPublic(edge, 'wan', `r${i}`, `203.0.113.${100 + i}`);
    lanBridge(edge, plus(lanPrefix(i), 1));
    let hostRouter = edge;
    let segment = lanPrefix(i);
    if (kind === 'double') {
      // The inner router (the customer's own box) sits on the outer LAN (the carrier's) like a host.
      const inner = addNs(ns(`r${i}i`));
      onLan(edge, 'p0', inner, 'wan', plus(lanPrefix(i), 2), plus(lanPrefix(i), 1));
      plan.routers.push({ ns: edge, kind, wan: 'wan', lan: 'lan', inboundTo: plus(lanPrefix(i), 2) });
      lanBridge(inner, plus(innerPrefix(i), 1));
      hostRouter = inner;
      segment = innerPrefix(i);
    }
    // Endpoint-independent filtering sends inbound UDP to the first host: one host per cone LAN is the model.
    plan.routers.push({ ns: hostRouter, kind, wan: 'wan', lan: 'lan', inboundTo: plus(segment, 2) });
    members.forEach((m, j) => onLan(hostRouter, `p${j + 1}`, addNs(ns(m.name)), 'eth0', plus(segment, 2 + j), plus(segment, 1)));
  });
  return plan;
}
