import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run, type TlsRow } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What the docs say about resumption, checked on real servers: uWS.js resumes its own tickets only (its
// ticket key is per process and cannot be set), node:tls with a shared ticket key resumes across processes.
it('measures full and resumed handshakes; only a shared ticket key resumes on another process', async () => {
  const json = join(dir, 't.json');
  await run(['--count', '20', '--concurrency', '2', '--keys', 'ecdsa-p256', '--quiet', '--json', json]);
  const rows: TlsRow[] = JSON.parse(readFileSync(json, 'utf8')).figures.rows;
  const row = (server: string, kind: string) => rows.find((r) => r.server === server && r.kind === kind)!;
  for (const server of ['uws', 'node']) {
    expect(row(server, 'full')).toMatchObject({ handshakes: 20, failed: 0, resumed: 0 });
    expect(row(server, 'resumed')).toMatchObject({ handshakes: 20, resumed: 20 });
    expect(row(server, 'full').serverCpuUsPerHandshake).toBeTypeOf('number'); // CPU ticks are 10 ms: 20 handshakes may read 0
  }
  expect(row('uws', 'resumed, ticket from another process').resumed).toBe(0);
  expect(row('node', 'resumed, ticket from another process').resumed).toBe(20);
}, 90_000);
