/**
 * The kinds of network a lab party can sit in, and the iptables rules of each kind's router. Linux conntrack
 * NAT maps endpoint-independently and keeps the source port when it can (RFC 4787 §4.1 "endpoint-independent
 * mapping"); its filtering is address-and-port-dependent. `cone` adds endpoint-independent filtering for UDP
 * (RFC 4787 §5, what §12 REQ-8 recommends for transparency) by sending inbound UDP to the one host behind it;
 * `restricted` is plain MASQUERADE; `symmetric` picks a fresh random port per destination (`--random-fully`).
 */
export const natKinds = ['public', 'cone', 'restricted', 'symmetric', 'double', 'udpBlocked', 'proxyOnly'] as const;
export type NatKind = (typeof natKinds)[number];

/** The port the `proxyOnly` router's HTTP proxy listens on (its LAN address). */
export const PROXY_PORT = 3128;

export interface RouterRules {
  /** The router's outside and inside interface names. */
  wan: string;
  lan: string;
  /** Where inbound UDP goes under endpoint-independent filtering: the host (or inner router) behind. */
  inboundTo?: string;
}

const natTable = (lines: string[]) => ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...lines, 'COMMIT'];

/** iptables-restore input for one router of the given kind (`public` has no router). */
export function routerRules(kind: Exclude<NatKind, 'public'>, r: RouterRules): string {
  const masquerade = `-A POSTROUTING -o ${r.wan} -j MASQUERADE`;
  // Like a home router's firewall, unsolicited packets to the router itself are dropped without an answer:
  // an ICMP "port unreachable" (the kernel's default) would make a hole-punching peer give up the pair early.
  const stealth = (extra: string[] = []) => lines(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', `-A INPUT -i ${r.wan} -m conntrack --ctstate NEW,INVALID -j DROP`, ...extra, 'COMMIT']);
  const endpointIndependentFiltering = r.inboundTo ? [`-A PREROUTING -i ${r.wan} -p udp --dport 1024:65535 -j DNAT --to-destination ${r.inboundTo}`] : [];
  switch (kind) {
    case 'cone':
    case 'double': // each of the two routers of a double NAT is a cone
      return lines(natTable([masquerade, ...endpointIndependentFiltering])) + stealth();
    case 'restricted':
      return lines(natTable([masquerade])) + stealth();
    case 'symmetric':
      return lines(natTable([`-A POSTROUTING -o ${r.wan} -j MASQUERADE --random-fully`])) + stealth();
    case 'udpBlocked':
      return lines(natTable([masquerade])) + stealth(['-A FORWARD -p udp -j DROP']);
    case 'proxyOnly':
      // Nothing is forwarded: the LAN reaches only the proxy on the router, and the proxy only TCP 443 outside.
      return lines([
        '*filter',
        ':INPUT DROP [0:0]',
        ':FORWARD DROP [0:0]',
        ':OUTPUT DROP [0:0]',
        '-A INPUT -i lo -j ACCEPT',
        '-A OUTPUT -o lo -j ACCEPT',
        '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
        '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
        `-A INPUT -i ${r.lan} -p tcp --dport ${PROXY_PORT} -j ACCEPT`,
        `-A OUTPUT -o ${r.wan} -p tcp --dport 443 -j ACCEPT`,
        'COMMIT',
      ]);
  }
}

const lines = (l: string[]) => l.join('\n') + '\n';
