import { isIP } from 'node:net';

/**
 * Source addresses for load-generator connections. A loopback target is reachable from all of 127.0.0.0/8,
 * and each source address has its own ~28k ephemeral ports (net.ipv4.ip_local_port_range), so spreading
 * connections over many addresses keeps high connection counts (and TIME_WAIT after fast churn) from
 * running out of ports. A non-loopback target gets `undefined` (the kernel picks).
 */
export class SourceAddresses {
  private next = 0;
  readonly list: readonly (string | undefined)[];

  /**
   * `count` addresses 127.<offset>.x.y starting at 127.<offset>.0.2, or [undefined] when not loopback.
   * `stride` 256 puts each address in its own /24 (127.<offset>.<i>.2, at most 256), as an attacker's would be.
   */
  constructor(targetHost: string, count = 64, offset = 1, stride = 1) {
    if (!isLoopback(targetHost) || count <= 0) {
      this.list = [undefined];
      return;
    }
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = i * stride + 2; // skip .0.0 and .0.1 of the /16
      out.push(`127.${offset & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`);
    }
    this.list = out;
  }

  /** Round robin. */
  take(): string | undefined {
    const a = this.list[this.next % this.list.length];
    this.next++;
    return a;
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}
