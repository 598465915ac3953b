import os from 'node:os';

/** This machine's own IPv4 addresses (not loopback): the "host" candidates a peer on the same LAN reaches. */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out.slice(0, 8);
}
