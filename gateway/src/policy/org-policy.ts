import * as v from 'valibot';
import { checkedInput } from '../errors/checked-input.js';

/** The powers a customer can grant (session-core protocol); a policy says which a technician may ask for. */
export const sessionPowers = ['view', 'control', 'files', 'clipboard', 'sysinfo'] as const;
export type SessionPower = (typeof sessionPowers)[number];

export const recordingModes = ['off', 'on-request', 'always'] as const;
/** off: never recorded; on-request: the technician may start a recording (the customer is told); always: every session. */
export type RecordingMode = (typeof recordingModes)[number];

export const fileDirections = ['to-customer', 'from-customer'] as const;
export type FileDirection = (typeof fileDirections)[number];

/** What the gateway enforces in a session, for one organisation (and team). */
export interface SessionPolicy {
  /** Powers a technician may request; a request for another is refused at the gateway (E_FORBIDDEN). */
  allowedPowers: SessionPower[];
  recording: RecordingMode;
  /** Only the gateway relay: no direct TCP / UDP paths (every byte passes the gateway, so it can record and enforce). */
  relayOnly: boolean;
  fileTransfer: {
    /** Largest file offered in either direction, bytes; 0 forbids files. */
    maxBytes: number;
    directions: FileDirection[];
  };
  /** Whether a customer may leave an agent that technicians reach without someone at the machine. */
  unattendedAccess: boolean;
  /** Longest a session may last, minutes, from pickup; then the gateway ends it. */
  maxSessionMinutes: number;
  /** Whether the customer's grants carry over when control passes to another technician (else they reset). */
  grantsSurviveTransfer: boolean;
}

/** Fields an organisation or team sets; whatever it leaves out comes from the level above. */
export interface PolicyOverrides {
  allowedPowers?: SessionPower[];
  recording?: RecordingMode;
  relayOnly?: boolean;
  fileTransfer?: { maxBytes?: number; directions?: FileDirection[] };
  unattendedAccess?: boolean;
  maxSessionMinutes?: number;
  grantsSurviveTransfer?: boolean;
}

/**
 * The policy of an organisation that has set nothing. Safe rather than convenient where it matters:
 * no unattended access, grants reset on a transfer, no recording unless the organisation turns it on.
 * Every power stays askable because the customer still has to grant each one.
 */
export const defaultSessionPolicy: Readonly<SessionPolicy> = Object.freeze({
  allowedPowers: [...sessionPowers],
  recording: 'off',
  relayOnly: false,
  fileTransfer: Object.freeze({ maxBytes: 1024 * 1024 * 1024, directions: [...fileDirections] }),
  unattendedAccess: false,
  maxSessionMinutes: 8 * 60,
  grantsSurviveTransfer: false,
}) as Readonly<SessionPolicy>;

const maxFileBytes = 2 ** 45; // 32 TiB: a bound on input, not a recommendation

const overridesSchema = v.strictObject({
  allowedPowers: v.optional(v.pipe(v.array(v.picklist(sessionPowers)), v.maxLength(sessionPowers.length))),
  recording: v.optional(v.picklist(recordingModes)),
  relayOnly: v.optional(v.boolean()),
  fileTransfer: v.optional(
    v.strictObject({
      maxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(maxFileBytes))),
      directions: v.optional(v.pipe(v.array(v.picklist(fileDirections)), v.maxLength(fileDirections.length))),
    }),
  ),
  unattendedAccess: v.optional(v.boolean()),
  maxSessionMinutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(7 * 24 * 60))),
  grantsSurviveTransfer: v.optional(v.boolean()),
});

/** Checks policy input from the admin API or CLI; throws E_BAD_REQUEST naming the first bad field. */
export function parsePolicyOverrides(input: unknown): PolicyOverrides {
  const o = checkedInput(overridesSchema, input, 'policy') as PolicyOverrides;
  // Duplicates would make two equal policies look different in the audit log.
  if (o.allowedPowers) o.allowedPowers = [...new Set(o.allowedPowers)];
  if (o.fileTransfer?.directions) o.fileTransfer.directions = [...new Set(o.fileTransfer.directions)];
  return o;
}

/**
 * The policy that applies: defaults, then the organisation's settings, then the team's, field by field (a
 * team is configured by the same administrators as its organisation, so it may be stricter or looser).
 */
export function effectivePolicy(org: PolicyOverrides | undefined, team?: PolicyOverrides): SessionPolicy {
  const base = defaultSessionPolicy;
  const pick = <K extends keyof SessionPolicy>(k: K) => (team?.[k] ?? org?.[k] ?? base[k]) as SessionPolicy[K];
  return {
    allowedPowers: [...pick('allowedPowers')],
    recording: pick('recording'),
    relayOnly: pick('relayOnly'),
    fileTransfer: {
      maxBytes: team?.fileTransfer?.maxBytes ?? org?.fileTransfer?.maxBytes ?? base.fileTransfer.maxBytes,
      directions: [...(team?.fileTransfer?.directions ?? org?.fileTransfer?.directions ?? base.fileTransfer.directions)],
    },
    unattendedAccess: pick('unattendedAccess'),
    maxSessionMinutes: pick('maxSessionMinutes'),
    grantsSurviveTransfer: pick('grantsSurviveTransfer'),
  };
}

/**
 * Where the session core asks for the policy of a new session (and again when control passes to a technician
 * of another team). Never throws for an unknown organisation or team: they get the defaults above.
 */
export interface PolicySource {
  policyFor(orgId: string, teamId?: string | null): Promise<SessionPolicy>;
}

// Checks the session core calls with a policy in hand; pure, so the rules are unit-tested here once.

/** Whether a technician may ask the customer for `power` (checked before the request reaches the customer). */
export function mayRequestPower(policy: SessionPolicy, power: string): boolean {
  return (policy.allowedPowers as string[]).includes(power);
}

/** Null when the file may be offered, else why not: shared with the clients, which check it on direct paths. */
export { fileTransferProblem } from '../../../protocol/file-transfer.js';

/** When a session picked up at `activeSince` (ms) must end. */
export function sessionDeadline(policy: SessionPolicy, activeSince: number): number {
  return activeSince + policy.maxSessionMinutes * 60_000;
}

/** The grants the customer gave that remain after control passes to another technician. */
export function grantsAfterTransfer<P extends string>(policy: SessionPolicy, granted: readonly P[]): P[] {
  return policy.grantsSurviveTransfer ? [...granted] : [];
}

/** Whether a session may take a direct path (TCP / UDP) instead of the relay. */
export function mayUseDirectPath(policy: SessionPolicy): boolean {
  return !policy.relayOnly;
}

/** Whether the recorder must join (always), may be asked to (on-request) or must refuse (off). */
export function recordingRequired(policy: SessionPolicy): boolean {
  return policy.recording === 'always';
}
export function mayStartRecording(policy: SessionPolicy): boolean {
  return policy.recording !== 'off';
}
