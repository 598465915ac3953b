import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { UsageError } from '../lib/options.js';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-attack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a target that is not loopback unless the user says it owns it', async () => {
  await expect(run(['--target', 'https://192.0.2.1:8443', '--quiet'])).rejects.toThrow(UsageError);
  await expect(run(['--target', 'https://192.0.2.1:8443', '--quiet'])).rejects.toThrow(/--i-own-this-target/);
});

it('guesses PINs, floods connections and sends malformed HTTP at a gateway with default limits, and reports what got through', async () => {
  const json = join(dir, 'a.json');
  await run(['--guess-addresses', '8', '--guesses-per-address', '24', '--customers', '4', '--flood-connections', '40', '--flood-customers', '2',
    '--flood-hold-seconds', '0', '--login-flood-rate', '40', '--login-flood-seconds', '1.5', '--malformed-timeout', '1', '--quiet', '--json', json]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const { guessing, flood, logins, malformed } = r.figures.runs.memory;
  // Default budget: 20 wrong PINs per address and window are evaluated, the rest refused.
  expect(guessing.evaluatedPerAddress.max).toBe(20);
  expect(guessing.refused).toBe(8 * 4);
  expect(guessing.hits).toBe(0);
  expect(guessing.pinDigits).toBe(14);
  expect(guessing.projectedHitsPerYear).toBeLessThan(1);
  expect(guessing.customersJoined).toBe(4);
  // Default cap on connections without a first message: 16 per address.
  expect([flood.opened, flood.refused]).toEqual([16, 24]);
  expect(flood.customersJoined).toBe(2);
  expect(malformed.filter((m: { listener: string }) => m.listener === 'admin').every((m: { answer: string }) => /^HTTP\/1\.1 (200|400|431|505)/.test(m.answer))).toBe(true);
  // 40 logins/s against a budget of 20/s: some are shed before hashing; the technician's usual address never is.
  expect(logins.byStatus['503']).toBeGreaterThan(0);
  expect(logins.known.ok).toBe(logins.known.tried);
  expect(r.goals).toHaveLength(5);
}, 90_000);
