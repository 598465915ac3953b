import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOrgStore } from '../org/file-org-store.js';
import {
  defaultSessionPolicy,
  effectivePolicy,
  fileTransferProblem,
  grantsAfterTransfer,
  mayRequestPower,
  mayStartRecording,
  mayUseDirectPath,
  parsePolicyOverrides,
  recordingRequired,
  sessionDeadline,
} from './org-policy.js';
import { OrgStorePolicySource } from './store-policy-source.js';

describe('session policy', () => {
  it('defaults are safe: no unattended access, grants reset on transfer, no recording', () => {
    const p = effectivePolicy(undefined);
    expect(p).toEqual(defaultSessionPolicy);
    expect(p.unattendedAccess).toBe(false);
    expect(p.grantsSurviveTransfer).toBe(false);
    expect(mayStartRecording(p)).toBe(false);
    expect(grantsAfterTransfer(p, ['view', 'control'])).toEqual([]);
  });

  it('a team overrides its organisation field by field, the rest comes from the organisation', () => {
    const org = parsePolicyOverrides({ allowedPowers: ['view', 'control'], recording: 'always', fileTransfer: { maxBytes: 1000 } });
    const team = parsePolicyOverrides({ allowedPowers: ['view'], fileTransfer: { directions: ['from-customer'] } });
    const p = effectivePolicy(org, team);
    expect(p.allowedPowers).toEqual(['view']);
    expect(p.recording).toBe('always');
    expect(p.fileTransfer).toEqual({ maxBytes: 1000, directions: ['from-customer'] });
    expect(recordingRequired(p)).toBe(true);
  });

  it('a policy that forbids control makes a control request refusable', () => {
    const p = effectivePolicy(parsePolicyOverrides({ allowedPowers: ['view', 'clipboard'] }));
    expect(mayRequestPower(p, 'view')).toBe(true);
    expect(mayRequestPower(p, 'control')).toBe(false);
    expect(mayRequestPower(p, 'made-up')).toBe(false);
  });

  it('checks file direction and size', () => {
    const p = effectivePolicy(parsePolicyOverrides({ fileTransfer: { maxBytes: 10, directions: ['to-customer'] } }));
    expect(fileTransferProblem(p, 'to-customer', 10)).toBeNull();
    expect(fileTransferProblem(p, 'to-customer', 11)).toMatch(/limited to 10 bytes/);
    expect(fileTransferProblem(p, 'from-customer', 1)).toMatch(/from-customer is not allowed/);
    expect(fileTransferProblem(p, 'to-customer', Number.NaN)).not.toBeNull();
  });

  it('answers relay-only, longest session and surviving grants', () => {
    const p = effectivePolicy(parsePolicyOverrides({ relayOnly: true, maxSessionMinutes: 30, grantsSurviveTransfer: true }));
    expect(mayUseDirectPath(p)).toBe(false);
    expect(sessionDeadline(p, 1_000)).toBe(1_000 + 30 * 60_000);
    expect(grantsAfterTransfer(p, ['view'])).toEqual(['view']);
  });

  it('refuses bad input with E_BAD_REQUEST naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ allowedPowers: ['view', 'root'] }, /allowedPowers/],
      [{ recording: 'sometimes' }, /recording/],
      [{ fileTransfer: { maxBytes: -1 } }, /fileTransfer\.maxBytes/],
      [{ maxSessionMinutes: 0 }, /maxSessionMinutes/],
      [{ maxSessionMinutes: 1.5 }, /maxSessionMinutes/],
      [{ relayOnly: 'yes' }, /relayOnly/],
      [{ unknownKnob: true }, /unknownKnob|policy/],
      ['not an object', /policy/],
    ];
    for (const [input, message] of bad) {
      let err: unknown;
      try {
        parsePolicyOverrides(input);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(input)).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(message) });
    }
  });

  it('removes duplicate powers and directions', () => {
    expect(parsePolicyOverrides({ allowedPowers: ['view', 'view'] }).allowedPowers).toEqual(['view']);
  });

  it('hands out copies: changing a result does not change the defaults', () => {
    const p = effectivePolicy(undefined);
    p.allowedPowers.pop();
    p.fileTransfer.directions.pop();
    expect(effectivePolicy(undefined)).toEqual(defaultSessionPolicy);
  });
});

describe('OrgStorePolicySource', () => {
  it('reads the organisation and team policy from the store, defaults for the unknown', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rd-policy-'));
    try {
      const orgs = new FileOrgStore({ dataDir });
      const source = new OrgStorePolicySource(orgs);
      expect(await source.policyFor('nobody')).toEqual(defaultSessionPolicy);
      await orgs.update('acme', (o) => {
        o.teams.push({ id: 'l1', name: 'First line' });
        o.policy = { allowedPowers: ['view', 'control'], relayOnly: true };
        o.teamPolicies.l1 = { allowedPowers: ['view'] };
        o.teamPolicies.ghost = { allowedPowers: [] }; // policy of a team that no longer exists
      }, 1);
      expect((await source.policyFor('acme')).allowedPowers).toEqual(['view', 'control']);
      expect(await source.policyFor('acme', 'l1')).toMatchObject({ allowedPowers: ['view'], relayOnly: true });
      expect((await source.policyFor('acme', 'ghost')).allowedPowers).toEqual(['view', 'control']);
      expect((await source.policyFor('acme', null)).allowedPowers).toEqual(['view', 'control']);
      // A change applies to the next lookup at once.
      await orgs.update('acme', (o) => void (o.policy.allowedPowers = ['view']), 2);
      expect((await source.policyFor('acme')).allowedPowers).toEqual(['view']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
