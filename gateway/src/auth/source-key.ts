import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit a per-source limit counts: an IPv4 address, or the /64 of an IPv6 address (one host usually
 * owns a whole /64, so counting single IPv6 addresses would give an attacker 2^64 fresh budgets).
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) counts as the IPv4 address.
 */
export function sourceKey(address: string): string {
  return sourceAndPrefix(address).source;
}

/**
 * The source (as sourceKey) and the network around it that one party usually holds whole: the IPv4 /24,
 * the IPv6 /48 (a site's allocation, RFC 6177). Budgets per prefix stop an attacker who rents a block.
 */
export function sourceAndPrefix(address: string): SourceAndPrefix {
  let known = recent.get(address);
  if (known === undefined) {
    // Cleared rather than evicted one by one: a burst of new addresses costs a re-parse, never unbounded memory.
    if (recent.size >= RECENT_ADDRESSES) recent.clear();
    recent.set(address, (known = Object.freeze(parse(address))));
  }
  return known;
}

export interface SourceAndPrefix {
  readonly source: string;
  readonly prefix: string;
}

/**
 * Addresses seen lately and what they count under. One connection asks up to three times (connection caps,
 * the PIN guard, the allow-list), and parsing (node:net's isIPv4 and the splits) was ~50 µs per pairing in the
 * gateway's profile (docs/benchmarks.md).
 */
const recent = new Map<string, SourceAndPrefix>();
const RECENT_ADDRESSES = 4096;

function parse(address: string): SourceAndPrefix {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(ip)) return { source: ip, prefix: ipv4Prefix(ip.split('.').map(Number)) };
  if (!isIPv6(ip)) {
    const other = `other:${ip.slice(0, 64)}`;
    return { source: other, prefix: other };
  }
  const groups = expandIPv6(ip.split('%')[0]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const octets = [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255];
    return { source: octets.join('.'), prefix: ipv4Prefix(octets) };
  }
  const hex = groups.map((g) => g.toString(16));
  return { source: `${hex.slice(0, 4).join(':')}::/64`, prefix: `${hex.slice(0, 3).join(':')}::/48` };
}

function ipv4Prefix(octets: number[]): string {
  return `${octets[0]}.${octets[1]}.${octets[2]}.0/24`;
}

function expandIPv6(ip: string): number[] {
  let text = ip;
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - h.length - t.length).fill(0);
  return [...h, ...zeros, ...t];
}
