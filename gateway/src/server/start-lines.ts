/**
 * The lines `npm start` prints on stderr once it listens. Operators read them; tests, benchmarks and the
 * local cluster scripts parse them (parseStartLines), so the format and its parser live side by side.
 */
export interface StartInfo {
  gatewayId: string;
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  caFingerprint: string;
}

export function formatStartLines(s: StartInfo): string {
  return (
    `relaydesk gateway ${s.gatewayId} on https://${s.host}:${s.port} (admin http://${s.adminHost}:${s.adminPort})\n` +
    `CA fingerprint (SHA-256), for clients to pin: ${s.caFingerprint}\n`
  );
}

const startLines = /relaydesk gateway (\S+) on https:\/\/(.+):(\d+) \(admin http:\/\/(.+):(\d+)\)\nCA fingerprint \(SHA-256\), for clients to pin: ([0-9A-F:]+)\n/;

/** The start lines found in `text` (a process's stderr so far), or null while they have not appeared. */
export function parseStartLines(text: string): StartInfo | null {
  const m = startLines.exec(text);
  if (!m) return null;
  return { gatewayId: m[1]!, host: m[2]!, port: Number(m[3]), adminHost: m[4]!, adminPort: Number(m[5]), caFingerprint: m[6]! };
}
