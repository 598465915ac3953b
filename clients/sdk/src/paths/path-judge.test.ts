import { describe, expect, it } from 'vitest';
import { LinkQuality, type LinkSnapshot } from './link-quality.js';
import { PathJudge } from './path-judge.js';

const link = (samples: number, loss: number, srttMs: number | undefined, minRttMs = srttMs): LinkSnapshot => ({ samples, loss, srttMs, minRttMs });
const relay = link(5, 0, 40);

describe('link quality: loss and smoothed RTT over a window of probes', () => {
  it('a probe is lost once its answer is later than lateAfterMs; unanswered younger ones are not decided yet', () => {
    const q = new LinkQuality(20, 1000);
    for (let i = 0; i < 10; i++) q.sent(i, i * 500);
    for (let i = 0; i < 10; i += 2) expect(q.answered(i, i * 500 + 10)).toBe(10); // every other probe answered
    // At 5200 ms: probes 0..8 are decided (4 lost: 1,3,5,7 unanswered for > 1 s), probe 9 (4500 ms) still young.
    expect(q.snapshot(5200)).toEqual({ samples: 9, loss: 4 / 9, srttMs: 10, minRttMs: 10 });
    expect(q.answered(9, 5600)).toBeUndefined(); // too late: stays lost
    expect(q.answered(0, 100)).toBeUndefined(); // already answered
    expect(q.answered(99, 100)).toBeUndefined(); // never sent
  });

  it('the window slides: old losses are forgotten; the RTT is smoothed by 1/8 per sample', () => {
    const q = new LinkQuality(4, 1000);
    q.sent(1, 0); // lost
    for (let i = 2; i <= 5; i++) {
      q.sent(i, i * 100);
      q.answered(i, i * 100 + (i === 5 ? 180 : 20));
    }
    const s = q.snapshot(10_000);
    expect([s.samples, s.loss]).toEqual([4, 0]);
    expect(s.srttMs).toBeCloseTo(20 + (180 - 20) / 8);
    expect(s.minRttMs).toBe(20);
  });
});

describe('the path judge: a direct path is kept only while it is better than the relay', () => {
  it('too few samples: kept, whatever they say', () => {
    const judge = new PathJudge();
    for (let i = 0; i < 10; i++) expect(judge.judge(link(9, 1, 900), relay)).toBe('keep');
  });

  it('loss at or over 10 % on 3 judgements in a row: loss', () => {
    const judge = new PathJudge();
    expect([1, 2, 3].map(() => judge.judge(link(20, 0.1, 5), relay))).toEqual(['keep', 'keep', 'loss']);
  });

  it('smoothed RTT above relay × 1.5 + 20 ms on 3 in a row: worse than relay; at the bound it is kept', () => {
    const judge = new PathJudge();
    expect([1, 2, 3, 4].map(() => judge.judge(link(20, 0, 80), relay))).toEqual(['keep', 'keep', 'keep', 'keep']); // 40 × 1.5 + 20 = 80
    expect([1, 2, 3].map(() => judge.judge(link(20, 0, 81), relay))).toEqual(['keep', 'keep', 'worse_than_relay']);
  });

  it('a busy path is not slow: pings queued behind data raise its smoothed RTT, its smallest RTT stays low', () => {
    const judge = new PathJudge();
    expect([1, 2, 3, 4].map(() => judge.judge(link(20, 0, 400, 3), relay))).toEqual(['keep', 'keep', 'keep', 'keep']);
  });

  it("without enough relay samples the RTT is not compared (loss still is)", () => {
    const judge = new PathJudge();
    expect([1, 2, 3].map(() => judge.judge(link(20, 0, 500), link(1, 0, 10)))).toEqual(['keep', 'keep', 'keep']);
    expect([1, 2, 3].map(() => judge.judge(link(20, 0.5, 500), link(0, 0, undefined)))).toEqual(['keep', 'keep', 'loss']);
  });

  it('hysteresis: a clearly good judgement forgets the strikes, one in between keeps them', () => {
    const judge = new PathJudge();
    const bad = link(20, 0.15, 5);
    const between = link(20, 0.07, 5); // under 10 % but not under 5 %
    const good = link(20, 0, 5);
    expect([bad, bad, good, bad, bad].map((l) => judge.judge(l, relay))).toEqual(['keep', 'keep', 'keep', 'keep', 'keep']);
    expect([between, bad].map((l) => judge.judge(l, relay))).toEqual(['keep', 'loss']);
    // RTT: between relay × 1.2 + 20 (68) and × 1.5 + 20 (80) is "in between" too.
    const slow = new PathJudge();
    expect([link(20, 0, 90), link(20, 0, 90), link(20, 0, 75), link(20, 0, 90)].map((l) => slow.judge(l, relay))).toEqual(['keep', 'keep', 'keep', 'worse_than_relay']);
    const recovered = new PathJudge();
    expect([link(20, 0, 90), link(20, 0, 90), link(20, 0, 60), link(20, 0, 90)].map((l) => recovered.judge(l, relay))).toEqual(['keep', 'keep', 'keep', 'keep']);
  });
});
