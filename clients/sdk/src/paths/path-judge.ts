import type { LinkSnapshot } from './link-quality.js';

/**
 * Whether a direct path is still better than the relay (issue 12: "keep a path only while it is better").
 * Worse means: its loss over the window is at least `lossBad`, or its RTT is above the relay's × `rttFactor`
 * + `rttMarginMs`. The RTT compared is each link's smoothed RTT or, when smaller, the smallest of its window:
 * pings on a direct path queue behind the session's own data (a file, the screen) where the relay's pings,
 * with that data gone direct, do not, and a busy path must not look slow for being busy. Judged only with enough samples on both links, and with hysteresis: the path
 * must look worse on `strikes` judgements in a row (one clearly good judgement, loss under `lossGood` and RTT
 * under the relay's × `rttFactorGood` + `rttMarginMs`, forgets the earlier strikes; one in between keeps them),
 * so a single slow round trip on a loaded machine never moves a session.
 */
export interface JudgeThresholds {
  minSamples: number;
  minRelaySamples: number;
  lossBad: number;
  lossGood: number;
  rttFactor: number;
  rttFactorGood: number;
  rttMarginMs: number;
  strikes: number;
}

export const DEFAULT_THRESHOLDS: JudgeThresholds = {
  minSamples: 10,
  minRelaySamples: 2,
  lossBad: 0.1,
  lossGood: 0.05,
  rttFactor: 1.5,
  rttFactorGood: 1.2,
  rttMarginMs: 20,
  strikes: 3,
};

/** keep, or why the session should go back to the relay (the reason labels of protocol/path-signal.ts). */
export type Verdict = 'keep' | 'loss' | 'worse_than_relay';

function rttOf(link: LinkSnapshot): number | undefined {
  if (link.srttMs === undefined || link.minRttMs === undefined) return link.srttMs ?? link.minRttMs;
  return Math.min(link.srttMs, link.minRttMs);
}

export class PathJudge {
  private strikes = 0;
  private readonly t: JudgeThresholds;

  constructor(thresholds: Partial<JudgeThresholds> = {}) {
    this.t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  }

  judge(direct: LinkSnapshot, relay: LinkSnapshot): Verdict {
    if (direct.samples < this.t.minSamples) return 'keep';
    const directRtt = rttOf(direct);
    const relayRtt = relay.samples >= this.t.minRelaySamples ? rttOf(relay) : undefined;
    const lossy = direct.loss >= this.t.lossBad;
    const slow = directRtt !== undefined && relayRtt !== undefined && directRtt > relayRtt * this.t.rttFactor + this.t.rttMarginMs;
    const fast = directRtt === undefined || relayRtt === undefined || directRtt <= relayRtt * this.t.rttFactorGood + this.t.rttMarginMs;
    const good = direct.loss < this.t.lossGood && fast;
    if (!lossy && !slow) {
      if (good) this.strikes = 0;
      return 'keep';
    }
    if (++this.strikes < this.t.strikes) return 'keep';
    return lossy ? 'loss' : 'worse_than_relay';
  }
}
