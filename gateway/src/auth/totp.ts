import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { TotpEnrolment } from './account-store.js';

/** RFC 6238 defaults every authenticator app speaks: SHA-1, 6 digits, 30 s steps. */
const digits = 6;
const periodSeconds = 30;
/** One step either side (RFC 6238 §5.2 recommends at most one step of network delay / clock drift). */
const toleranceSeconds = periodSeconds;

/** What the console shows to enrol: the secret (to type in), the otpauth URI and the same URI as a QR code. */
export interface TotpEnrolmentView {
  secret: string;
  otpauthUri: string;
  /** PNG as a data: URL, ready for an <img src>. */
  qrDataUrl: string;
}

/** A fresh, unconfirmed enrolment: 160 random bits (RFC 4226 §4 recommends at least that). */
export function newTotpEnrolment(): TotpEnrolment {
  return { secret: generateSecret({ length: 20 }), confirmed: false, lastStep: 0 };
}

/** The enrolment as the authenticator app wants it. `issuer` and `label` show in the app's list. */
export async function totpEnrolmentView(enrolment: TotpEnrolment, issuer: string, label: string): Promise<TotpEnrolmentView> {
  const otpauthUri = generateURI({ issuer, label, secret: enrolment.secret, digits, period: periodSeconds });
  // Error correction M: readable from a phone screen at a glance, still small.
  const qrDataUrl = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
  return { secret: enrolment.secret, otpauthUri, qrDataUrl };
}

/**
 * Checks a code at time `nowMs`. A code of a step at or before `lastStep` is refused, so one code logs in
 * once (a code read over a shoulder cannot be replayed within its 30 s). On success returns the step to
 * store as the new `lastStep`.
 */
export async function checkTotp(enrolment: TotpEnrolment, code: string, nowMs: number): Promise<{ ok: true; step: number } | { ok: false }> {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return { ok: false };
  const result = await verify({
    secret: enrolment.secret,
    token: code,
    digits,
    period: periodSeconds,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: toleranceSeconds,
    afterTimeStep: enrolment.lastStep,
  });
  // The union also covers HOTP results, which have no timeStep.
  return result.valid && 'timeStep' in result ? { ok: true, step: result.timeStep } : { ok: false };
}
