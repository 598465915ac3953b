import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { GatewayError } from '../errors/gateway-error.js';

/** At most this many blocks per organisation: a bound on input and on the cost of each check. */
export const maxAllowListEntries = 256;

/** Null when `cidr` is a valid IPv4 or IPv6 block (`192.0.2.0/24`, `2001:db8::/32`, or one address), else why not. */
export function cidrProblem(cidr: unknown): string | null {
  if (typeof cidr !== 'string' || cidr.length > 64) return 'a CIDR block is a string like 192.0.2.0/24 or 2001:db8::/32';
  const [address, prefix, extra] = cidr.split('/');
  if (extra !== undefined) return `"${cidr}" has more than one "/"`;
  const family = isIPv4(address!) ? 'ipv4' : isIPv6(address!) ? 'ipv6' : null;
  if (!family) return `"${cidr}" is not an IPv4 or IPv6 address`;
  if (prefix === undefined) return null;
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `"${cidr}": the prefix length must be 0 to ${max}`;
  return null;
}

/** Checks an allow-list from the admin API; throws E_BAD_REQUEST naming the bad entry. */
export function parseAllowList(input: unknown): string[] {
  if (!Array.isArray(input)) throw new GatewayError('E_BAD_REQUEST', '"allowList" must be an array of CIDR blocks');
  if (input.length > maxAllowListEntries) throw new GatewayError('E_BAD_REQUEST', `"allowList" takes at most ${maxAllowListEntries} blocks`);
  for (const entry of input) {
    const problem = cidrProblem(entry);
    if (problem) throw new GatewayError('E_BAD_REQUEST', `allowList: ${problem}`);
  }
  return [...new Set(input as string[])];
}

/**
 * An organisation's allow-list compiled for checks. node:net's BlockList does the matching, IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`, what a dual-stack socket reports) included. An empty list allows every address.
 */
export class IpAllowList {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(cidrs: readonly string[]) {
    this.#empty = cidrs.length === 0;
    for (const cidr of cidrs) {
      if (cidrProblem(cidr)) throw new Error(`IpAllowList: ${cidrProblem(cidr)}`);
      const [address, prefix] = cidr.split('/') as [string, string | undefined];
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      this.#list.addSubnet(address, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family);
    }
  }

  allows(ip: string): boolean {
    if (this.#empty) return true;
    const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip.split('%')[0]!;
    if (isIPv4(bare)) return this.#list.check(bare, 'ipv4');
    if (isIPv6(bare)) return this.#list.check(bare, 'ipv6');
    return false; // not an address at all: never allowed by a non-empty list
  }
}
