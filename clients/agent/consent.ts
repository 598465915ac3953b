/**
 * The customer's consent: which powers stand now, and what to do with the next request for each. A request
 * is answered from the customer's earlier choice ("allow for this session") or becomes a prompt; "ask each
 * time" grants now and asks again next time (for `sysinfo`, each request is one answer); a refusal grants
 * nothing. Taking a grant back is immediate here, before the gateway hears of it, and also forgets "allow for
 * this session": the customer changed their mind.
 */
import type { Power } from '../../protocol/channels.js';
import { powers } from '../../protocol/channels.js';

export type Answer = 'session' | 'once' | 'refuse';

export interface Prompt {
  id: number;
  power: Power;
  /** Who asks (the technician's name). */
  from: string;
}

export class Consent {
  private readonly granted = new Set<Power>();
  private readonly allowForSession = new Set<Power>();
  private readonly open = new Map<number, Prompt>();
  private nextId = 1;

  /** `allowed`: powers the customer granted up front (`--allow`), for the whole session. */
  constructor(allowed: readonly Power[] = []) {
    for (const p of allowed) {
      this.granted.add(p);
      this.allowForSession.add(p);
    }
  }

  has(power: Power): boolean {
    return this.granted.has(power);
  }

  list(): Power[] {
    return powers.filter((p) => this.granted.has(p));
  }

  pending(): Prompt[] {
    return [...this.open.values()];
  }

  /** A technician asks: 'granted' when the customer already said yes for the session, else a prompt to show. */
  request(power: Power, from: string): { granted: true } | { granted: false; prompt: Prompt } {
    // Already standing (granted "ask each time" and not yet used or taken back), or allowed for the session.
    if (this.granted.has(power) || this.allowForSession.has(power)) {
      this.granted.add(power);
      return { granted: true };
    }
    // One open prompt per power: a technician repeating the request does not stack dialogs.
    const existing = [...this.open.values()].find((p) => p.power === power);
    if (existing) return { granted: false, prompt: existing };
    const prompt = { id: this.nextId++, power, from };
    this.open.set(prompt.id, prompt);
    return { granted: false, prompt };
  }

  /** The customer's answer to a prompt; returns the power granted, or null (refused, or no such prompt). */
  answer(id: number, answer: Answer): Power | null {
    const prompt = this.open.get(id);
    if (!prompt) return null;
    this.open.delete(id);
    if (answer === 'refuse') return null;
    if (answer === 'session') this.allowForSession.add(prompt.power);
    this.granted.add(prompt.power);
    return prompt.power;
  }

  /** Grants without a request (the customer offers it). */
  grant(power: Power): void {
    this.granted.add(power);
  }

  /** Takes a power back at once; true when it was granted. */
  revoke(power: Power): boolean {
    this.allowForSession.delete(power);
    return this.granted.delete(power);
  }

  /** One use of an "ask each time" power is over (sysinfo sent): it needs a new answer next time. */
  used(power: Power): boolean {
    if (this.allowForSession.has(power)) return false;
    return this.granted.delete(power);
  }

  /** The session ended: every power stops. */
  clear(): void {
    this.granted.clear();
    this.allowForSession.clear();
    this.open.clear();
  }
}

/** Parses `--allow view,control,files`; throws on an unknown power. */
export function parsePowers(list: string): Power[] {
  const out: Power[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!powers.includes(raw as Power)) throw Object.assign(new Error(`unknown power "${raw}"; powers are ${powers.join(', ')}`), { code: 'E_ARGUMENT' });
    if (!out.includes(raw as Power)) out.push(raw as Power);
  }
  return out;
}
