import type { Lab } from './lab.js';
import { spawnProbe, type LabGateway } from './lab-gateway.js';

export interface PathPairResult {
  customer: string;
  technician: string;
  /** The path both ends ended on, as the technician saw it ('relay' when none). */
  path: 'relay' | 'tcp' | 'udp';
  /** From pickup to the path being usable (or to giving up), technician side. */
  ms: number;
  attempts: { kind: string; result: string; ms: number }[];
  customerPath: string;
  /** How each end describes its path (technician, customer). */
  via: [string, string];
  echoed: number | null;
  inOrder: boolean | null;
  /** The echoes in arrival order, when they were not in order (for the report). */
  got?: string[];
  pathClosed: string | null;
  relayChat: string;
}

/**
 * One session between two lab parties through the lab gateway: the customer joins from one namespace, the
 * technician picks up from another, both look for a direct path; over it the technician sends 20 messages
 * the customer echoes, then a chat line goes over the relay. Bounded: 45 s.
 */
export async function runPathPair(lab: Lab, gateway: LabGateway, customer: string, technician: string, options: { customerTcpPort?: number } = {}): Promise<PathPairResult> {
  try {
    return await runPair(lab, gateway, customer, technician, options);
  } catch (err) {
    throw new Error(`${customer} × ${technician}: ${(err as Error).message}`, { cause: err });
  }
}

async function runPair(lab: Lab, gateway: LabGateway, customer: string, technician: string, options: { customerTcpPort?: number }): Promise<PathPairResult> {
  const tech = await spawnProbe(lab, lab.party(technician).ns, ['path-tech', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password]);
  try {
    const { pin } = (await tech.waitFor((l) => 'pin' in l, 30_000)) as { pin: string };
    const cust = await spawnProbe(lab, lab.party(customer).ns, ['path-customer', gateway.baseUrl, gateway.caFile, pin, ...(options.customerTcpPort ? [String(options.customerTcpPort)] : [])]);
    try {
      const found = (await tech.waitFor((l) => 'path' in l, 30_000)) as { path: PathPairResult['path']; ms: number; attempts: PathPairResult['attempts']; via?: string };
      const customerLine = (await cust.waitFor((l) => 'path' in l, 15_000).catch((err: Error) => {
        throw new Error(`customer: ${err.message}`);
      })) as { path: string; via?: string };
      const echo = found.path === 'relay' ? null : ((await tech.waitFor((l) => 'echoed' in l, 15_000)) as { echoed: number; inOrder: boolean; got?: string[] });
      const relay = (await tech.waitFor((l) => 'relayChat' in l, 15_000)) as { relayChat: string };
      const closed = tech.lines.find((l) => 'pathClosed' in l) as { pathClosed: string } | undefined;
      return {
        customer,
        technician,
        path: found.path,
        ms: found.ms,
        attempts: found.attempts,
        customerPath: customerLine.path,
        via: [found.via ?? '', customerLine.via ?? ''],
        echoed: echo?.echoed ?? null,
        inOrder: echo?.inOrder ?? null,
        ...(echo?.got ? { got: echo.got } : {}),
        pathClosed: closed?.pathClosed ?? null,
        relayChat: relay.relayChat,
      };
    } finally {
      cust.child.kill('SIGKILL');
    }
  } finally {
    tech.child.kill('SIGKILL');
  }
}
