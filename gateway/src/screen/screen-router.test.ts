import { beforeAll, describe, expect, it } from 'vitest';
import { encodeScreenFrame } from '../../../protocol/screen-header.js';
import { GatewayDecoders, type ScreenRepairMode } from './gateway-decoders.js';
import { loadNativeCodec } from './native-codec.js';
import type { Count, ScreenCounters } from './screen-counters.js';
import { ScreenRouter, type ScreenVerdict } from './screen-router.js';
import { codec, FakeAgent, FakeViewer, loadClip, type Clip } from './screen-test-kit.test-helper.js';

const BUDGET = 16 << 10;

let clip: Clip;
beforeAll(() => {
  clip = loadClip('desk-drag');
});

class Tally implements Count {
  n = 0;
  inc(by = 1): void {
    this.n += by;
  }
}

function counters(): ScreenCounters & { all: Record<string, Tally> } {
  const all = { delivered: new Tally(), dropped: new Tally(), agent_keyframe: new Tally(), gateway_keyframe: new Tally(), merged_delta: new Tally(), keyframeRequests: new Tally() };
  return { ...all, repairs: { agent_keyframe: all.agent_keyframe, gateway_keyframe: all.gateway_keyframe, merged_delta: all.merged_delta }, all };
}

/** A session: one agent, a router with the given repair mode, a clock the test moves. */
function session(mode: ScreenRepairMode, o: { minViewers?: number; maxBytes?: number; keyframeTimeoutMs?: number; load?: typeof loadNativeCodec } = {}) {
  let now = 1_000;
  const decoders = new GatewayDecoders({ mode, minViewers: o.minViewers ?? 2, maxBytes: o.maxBytes ?? 1 << 30 }, o.load);
  const c = counters();
  const verdicts: ScreenVerdict[] = [];
  // eslint-disable-next-line prefer-const
  let router: ScreenRouter;
  const agent = new FakeAgent(clip, (bytes) => verdicts.push(router.onFrame(bytes)));
  router = new ScreenRouter({ mediaBudgetBytes: BUDGET, keyframeTimeoutMs: o.keyframeTimeoutMs ?? 2000, requestKeyframe: agent.requestKeyframe, now: () => now, counters: c, decoders });
  return {
    router,
    agent,
    decoders,
    counters: c.all,
    verdicts,
    advance(ms: number) {
      now += ms;
      return now;
    },
    /** One frame from the agent, the agent answering any resync it got, then `readers` read. */
    step(readers: FakeViewer[]) {
      agent.sendFrame();
      agent.answer();
      for (const v of readers) v.read();
      now += 66;
    },
  };
}

function expectExact(v: FakeViewer, agent: FakeAgent): void {
  const picture = v.picture();
  expect(picture, 'the viewer has a picture').toBeDefined();
  expect(picture!.equals(agent.truth.frame()), 'pixel-exact with a decoder fed every frame').toBe(true);
  expect(picture!.equals(agent.lastCaptured), 'and that is the captured screen').toBe(true);
  // The gateway never handed it a delta it could not apply, and nothing failed to decode.
  expect(v.receiver.counts.waiting).toBe(0);
  expect(v.receiver.counts.failed).toBe(0);
  expect(v.receiver.frame).toBe(agent.sender.frame);
}

describe('ScreenRouter: a slowed viewer', { timeout: 60_000 }, () => {
  for (const [mode, kind] of [
    ['agent', 'agent_keyframe'],
    ['gateway', 'merged_delta'],
  ] as const) {
    for (const enforceBudget of [true, false]) {
      it(`ends with exactly the agent's frame after drops (${mode} repairs, writer ${enforceBudget ? 'drops past the budget' : 'never drops'})`, () => {
        const s = session(mode);
        const fast = new FakeViewer(enforceBudget ? BUDGET : undefined);
        const slow = new FakeViewer(enforceBudget ? BUDGET : undefined);
        s.router.addViewer('fast', fast);
        s.router.addViewer('slow', slow);
        // The slow viewer stops reading: its queue fills past the budget and frames are dropped for it.
        for (let i = 0; i < 10; i++) s.step([fast]);
        expect(s.router.stats.dropped).toBeGreaterThan(0);
        expect(s.router.stats.waiting).toBe(1);
        // While its queue is still full, nothing is asked of the agent for it (the repair would be dropped).
        expect(s.counters.keyframeRequests!.n).toBe(0);
        const framesHandedBefore = slow.log.length;
        for (let i = 0; i < 5; i++) s.step([fast]);
        expect(slow.log.length, 'no delta for a viewer that lost a frame').toBe(framesHandedBefore);
        // It reads again: repaired on the next frame, then follows the stream.
        slow.read();
        for (let i = 0; i < 6; i++) s.step([fast, slow]);
        expectExact(slow, s.agent);
        expectExact(fast, s.agent);
        expect(s.router.stats.repairs[kind]).toBeGreaterThanOrEqual(1);
        expect(s.counters[kind]!.n).toBe(s.router.stats.repairs[kind]);
        expect(s.counters.dropped!.n).toBe(s.router.stats.dropped);
        if (mode === 'agent') expect(s.agent.resyncs).toBeGreaterThanOrEqual(1);
        else expect(s.agent.resyncs, 'the gateway repaired it alone').toBe(0);
        // The queue stayed bounded: the budget plus at most one frame.
        expect(slow.maxQueuedBytes).toBeLessThanOrEqual(BUDGET + slow.largestWrite);
        // The fast viewer never waited and got every frame as a delta or the first keyframe.
        expect(fast.log.filter((h) => h.keyframe).length).toBe(1);
      });
    }
  }

  it('repairs on tick when the queue drains while the screen is still (gateway: at once, agent: one request)', () => {
    for (const mode of ['gateway', 'agent'] as const) {
      const s = session(mode);
      const slow = new FakeViewer(BUDGET);
      s.router.addViewer('slow', slow);
      for (let i = 0; i < 8; i++) s.step([]);
      expect(s.router.stats.waiting).toBe(1);
      slow.read();
      s.router.tick(s.advance(1000));
      if (mode === 'gateway') expect(slow.log.at(-1)).toMatchObject({ keyframe: false, base: 1, frame: 8 });
      else {
        expect(s.agent.resyncs).toBe(1);
        s.agent.answer();
        expect(slow.log.at(-1)).toMatchObject({ keyframe: true, repair: true, frame: 8 });
      }
      slow.read();
      expectExact(slow, s.agent);
    }
  });

  it('a gateway repair that fails tells the viewer, then asks the agent, and the picture ends exact', () => {
    let failing = false;
    class FailingDecoder extends codec.Decoder {
      override deltaSince(since: number): Buffer {
        if (failing) throw Object.assign(new Error('out of memory (test)'), { code: 'E_CODEC' });
        return super.deltaSince(since);
      }
    }
    const s = session('gateway', { minViewers: 1, load: () => ({ ...codec, Decoder: FailingDecoder }) });
    const slow = new FakeViewer(BUDGET);
    s.router.addViewer('slow', slow);
    for (let i = 0; i < 8; i++) s.step([]);
    expect(s.router.stats.waiting).toBe(1);
    failing = true;
    slow.read();
    s.router.tick(s.advance(1000));
    expect(slow.notices).toHaveLength(1);
    expect(JSON.parse(slow.notices[0]!)).toMatchObject({ v: 1, type: 'error', code: 'E_SCREEN_REPAIR' });
    expect(JSON.parse(slow.notices[0]!).message).toMatch(/could not rebuild your picture.*out of memory \(test\)/);
    expect(s.router.stats).toMatchObject({ repairFailures: 1, waiting: 1, decoder: { active: true, synced: false } });
    expect(s.agent.resyncs).toBe(1);
    s.agent.answer();
    expect(slow.log.at(-1)).toMatchObject({ keyframe: true, repair: true, frame: 8 });
    slow.read();
    expectExact(slow, s.agent);
    // The decoder is back in sync from that keyframe and repairs by itself again.
    failing = false;
    expect(s.router.stats.decoder.synced).toBe(true);
  });
});

describe('ScreenRouter: a viewer that needs a picture', { timeout: 60_000 }, () => {
  for (const mode of ['agent', 'gateway'] as const) {
    it(`a late joiner gets a picture before any delta (${mode})`, () => {
      const s = session(mode);
      const first = new FakeViewer(BUDGET);
      s.router.addViewer('first', first);
      for (let i = 0; i < 5; i++) s.step([first]);
      const late = new FakeViewer(BUDGET);
      s.router.addViewer('late', late);
      if (mode === 'gateway') expect(late.log[0], 'a gateway keyframe at once').toMatchObject({ keyframe: true, repair: true, frame: 5 });
      else expect(late.log).toEqual([]);
      for (let i = 0; i < 4; i++) s.step([first, late]);
      expect(late.log[0]).toMatchObject({ keyframe: true, repair: true });
      expectExact(late, s.agent);
      // The repair keyframe went only to the viewer that needed it.
      expect(first.log.filter((h) => h.repair)).toEqual([]);
      expect(s.router.stats.repairs[mode === 'gateway' ? 'gateway_keyframe' : 'agent_keyframe']).toBe(1);
    });
  }

  it('a viewer moved between gateways (invalidate) is repaired with a keyframe; unknown ids are ignored', () => {
    const s = session('gateway');
    const v = new FakeViewer(BUDGET);
    s.router.addViewer('v', v);
    for (let i = 0; i < 3; i++) s.step([v]);
    s.router.invalidate('nobody');
    s.router.invalidate('v');
    expect(v.log.at(-1)).toMatchObject({ keyframe: true, repair: true, frame: 3 });
    v.receiver.decoder = null; // its new connection starts with no picture
    v.receiver.waiting = true;
    for (let i = 0; i < 2; i++) s.step([v]);
    expectExact(v, s.agent);
  });

  it('asks the agent at most once at a time, and again after the timeout', () => {
    const s = session('agent', { keyframeTimeoutMs: 2000 });
    const a = new FakeViewer(BUDGET);
    s.router.addViewer('a', a);
    for (let i = 0; i < 3; i++) s.step([a]);
    s.router.addViewer('b', new FakeViewer(BUDGET));
    s.router.addViewer('c', new FakeViewer(BUDGET));
    expect(s.agent.resyncs).toBe(1);
    // Unanswered: frames and ticks within the timeout ask nothing more.
    s.agent.sendFrame();
    s.router.tick(s.advance(1000));
    expect(s.agent.resyncs).toBe(1);
    s.router.tick(s.advance(1000));
    expect(s.agent.resyncs).toBe(2);
    expect(s.router.stats.keyframeRequests).toBe(2);
    s.agent.answer();
    expect(s.router.stats.waiting).toBe(0);
    expect(s.router.stats.repairs.agent_keyframe).toBe(2);
    // The customer comes back after a lost connection: asked at once, even right after a request.
    s.router.addViewer('d', new FakeViewer(BUDGET));
    expect(s.agent.resyncs).toBe(3);
    s.router.customerBack();
    expect(s.agent.resyncs).toBe(4);
  });
});

describe('ScreenRouter: bad frames from the customer', { timeout: 60_000 }, () => {
  it('refuses each with a clear reason, forwards nothing, and goes on', () => {
    const s = session('gateway');
    const v = new FakeViewer(BUDGET);
    s.router.addViewer('v', v);
    for (let i = 0; i < 3; i++) s.step([v]);
    // Real packets from an encoder of its own (the agent's reference must not move).
    const encoder = new codec.Encoder(clip.width, clip.height);
    const key = encoder.encode(clip.frameAt(20), { keyframe: true });
    const delta = encoder.encode(clip.frameAt(21));
    const withFlags = (flags: number) => {
      const b = encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, delta);
      b[1] = flags;
      return b;
    };
    const corrupt = encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, delta);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty', new Uint8Array(0), /not a screen frame/],
      ['another channel', Uint8Array.of(0x02, ...encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, delta).subarray(1)), /not a screen frame \(channel byte 2/],
      ['short header', Uint8Array.of(0x01, 0, 0, 0), /malformed screen header/],
      ['unknown flag', withFlags(4), /malformed screen header/],
      ['repair without keyframe', withFlags(2), /malformed screen header/],
      ['keyframe with a base', (() => { const b = encodeScreenFrame({ keyframe: true, repair: false, frame: 4 }, key); b[9] = 1; return b; })(), /malformed screen header/],
      ['delta on a later base', (() => { const b = encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, delta); b[9] = 9; return b; })(), /malformed screen header/],
      ['no codec packet', encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, new Uint8Array(30)), /does not carry a codec packet/],
      ['delta called a keyframe', encodeScreenFrame({ keyframe: true, repair: false, frame: 4 }, delta), /header says keyframe but the codec packet is a delta/],
      ['keyframe called a delta', encodeScreenFrame({ keyframe: false, repair: false, frame: 4, base: 3 }, key), /header says delta but the codec packet is a keyframe/],
      ['old frame number', encodeScreenFrame({ keyframe: false, repair: false, frame: 3, base: 2 }, delta), /screen frame 3 is not newer than frame 3/],
      ['corrupt packet', corrupt, /does not decode \(E_CODEC_CORRUPT/],
    ];
    const handed = v.log.length;
    for (const [name, bytes, reason] of cases) {
      const verdict = s.router.onFrame(bytes);
      expect(verdict.kind, name).toBe('refused');
      expect(verdict.kind === 'refused' && verdict.reason, name).toMatch(reason);
    }
    expect(v.log.length, 'nothing forwarded').toBe(handed);
    expect(s.router.stats.refused).toBe(cases.length);
    // A stale repair is valid but useless: ignored, not an error.
    expect(s.router.onFrame(encodeScreenFrame({ keyframe: true, repair: true, frame: 2 }, key)).kind).toBe('ignored');
    // The session goes on; the corrupt packet changed nothing for anyone.
    for (let i = 0; i < 3; i++) s.step([v]);
    expectExact(v, s.agent);
  });
});

describe('ScreenRouter: decoder memory', { timeout: 60_000 }, () => {
  it('auto keeps a decoder only from minViewers on, and gives its memory back', () => {
    const s = session('auto', { minViewers: 2 });
    const a = new FakeViewer(BUDGET);
    s.router.addViewer('a', a);
    for (let i = 0; i < 2; i++) s.step([a]);
    expect(s.router.stats.decoder.active).toBe(false);
    expect(s.decoders.bytesInUse).toBe(0);
    const b = new FakeViewer(BUDGET);
    s.router.addViewer('b', b);
    // The newcomer needs a keyframe from the agent anyway; that keyframe also fills the new decoder.
    for (let i = 0; i < 2; i++) s.step([a, b]);
    expect(s.router.stats.decoder).toEqual({ active: true, synced: true, bytes: clip.width * clip.height * 4 });
    expect(s.decoders.bytesInUse).toBe(clip.width * clip.height * 4);
    // From now on repairs come from the gateway.
    const c = new FakeViewer(BUDGET);
    s.router.addViewer('c', c);
    expect(c.log[0]).toMatchObject({ keyframe: true, repair: true });
    expect(s.agent.resyncs).toBe(1);
    s.router.removeViewer('b');
    s.router.removeViewer('c');
    expect(s.decoders.bytesInUse).toBe(0);
    s.router.close();
    s.router.close();
  });

  it('past the gateway-wide cap a session repairs through the agent, and its picture is still exact', () => {
    const s = session('gateway', { maxBytes: clip.width * clip.height * 4 - 1 });
    const v = new FakeViewer(BUDGET);
    s.router.addViewer('v', v);
    for (let i = 0; i < 8; i++) s.step([]);
    v.read();
    for (let i = 0; i < 3; i++) s.step([v]);
    expect(s.router.stats.decoder.synced).toBe(false);
    expect(s.decoders.bytesInUse).toBe(0);
    expect(s.router.stats.repairs.agent_keyframe).toBe(1);
    expectExact(v, s.agent);
  });

  it('a second session is refused a decoder when the first holds the budget (reserved before allocation)', () => {
    const gauge: number[] = [];
    const decoders = new GatewayDecoders({ mode: 'gateway', minViewers: 1, maxBytes: 1920 * 1080 * 4 }, loadNativeCodec, (b) => gauge.push(b));
    const one = decoders.acquire(1920, 1080);
    expect(one).toBeInstanceOf(codec.Decoder);
    expect(decoders.acquire(1920, 1080)).toBeNull();
    decoders.release(one!);
    expect(decoders.bytesInUse).toBe(0);
    expect(gauge, 'the decoder-bytes gauge follows').toEqual([1920 * 1080 * 4, 0]);
    expect(new GatewayDecoders({ mode: 'gateway', minViewers: 1, maxBytes: 1 << 30 }, () => { throw new Error('binary missing'); }).acquire(8, 8)).toBeNull();
  });
});
