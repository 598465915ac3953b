import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { ScreenReceiver } from '../../../clients/sdk/src/screen/screen-receiver.js';
import { ScreenSender } from '../../../clients/sdk/src/screen/screen-sender.js';
import { croppedFrames } from '../../../clients/sdk/src/screen/screen-test-frames.test-helper.js';
import type { SessionConnection } from '../../../clients/sdk/src/node.js';
import { loadNativeCodec, type NativeDecoder } from '../../src/screen/native-codec.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { eventually, nextEvent, sleep } from './events.js';

const codec = loadNativeCodec();
let clip: { width: number; height: number; frames: Buffer[] };
/** A keyframe of each frame of the clip, made once: the flood below sends ~100 of them. */
const keyframes = new Map<Buffer, Buffer>();
beforeAll(() => {
  // A 640×360 crop of a real recording: real content, a ninth of the decoding a 1080p screen costs.
  clip = { width: 640, height: 360, frames: croppedFrames(640, 360) };
  const enc = new codec.Encoder(clip.width, clip.height);
  for (const f of clip.frames) keyframes.set(f, enc.encode(f, { keyframe: true }));
});

/** The TCP socket under the SDK's WebSocket: pausing it stops reading, so everything piles up in the gateway. */
const tcpOf = (conn: SessionConnection) => (conn as unknown as { socket: WebSocket & { _socket: { pause(): void; resume(): void } } }).socket._socket;

for (const repair of ['agent', 'gateway'] as const) {
  describe(`a viewer slowed until screen frames drop (--screen-repair ${repair})`, { timeout: 60_000 }, () => {
    let t: TestGateway;
    let pw: string;
    beforeAll(async () => {
      t = await startTestGateway({ screenRepair: repair, droppableQueueBytes: String(64 << 10) });
      pw = await t.addTechnician('vic', 'acme');
    });
    afterAll(() => t.stop());

    it("ends with exactly the agent's frame once it reads again, and never gets a delta it cannot apply", async () => {
      const tc = t.client();
      await tc.login('vic', pw);
      const s = await tc.createSession();
      const customer = await t.client().joinSession({ pin: s.pin }, 'Screen');
      const tech = await tc.pickUp(s.guid);
      await customer.waitFor('active');
      customer.grant('view');
      await nextEvent(tech, 'grants');

      const encoder = new codec.Encoder(clip.width, clip.height);
      let last: Buffer | undefined;
      // The real encoder, except that keyframes come from the cache; it catches up on the next delta.
      let behind = false;
      const encode = (f: Buffer, o: { keyframe: boolean }) => {
        if (o.keyframe && keyframes.has(f)) return (behind = true), keyframes.get(f)!;
        if (behind) encoder.encode(last!, { keyframe: true });
        behind = false;
        return encoder.encode(f, o);
      };
      const sender = new ScreenSender<Buffer>({
        encode: (f, o) => {
          const packet = encode(f, o);
          last = f;
          return packet;
        },
        send: (b) => customer.sendRaw(b),
        hasRoom: () => customer.bufferedAmount < 1 << 20,
      });
      let resyncs = 0;
      customer.on('resync', () => (resyncs++, sender.resync()));
      const viewer = new ScreenReceiver<NativeDecoder>({ createDecoder: (w, h) => new codec.Decoder(w, h) });
      tech.on('data', (channel, payload) => viewer.receiveData(channel, payload));
      const frameAt = (i: number) => clip.frames[i % clip.frames.length]!;

      sender.offer(frameAt(0));
      expect(await eventually(() => viewer.frame === 1)).toBe(true);

      // The viewer stops reading. Keyframes of the recording (~20 kB each) fill the kernel's buffers and the
      // gateway's queue until the gateway drops frames for it.
      tcpOf(tech).pause();
      const dropped = async () => (await t.gateway.metrics.screenFrames.get()).values.find((v) => v.labels.outcome === 'dropped')?.value ?? 0;
      let i = 1;
      for (; i < 3000 && (await dropped()) === 0; i++) {
        sender.requestKeyframe();
        sender.offer(frameAt(i));
        while (customer.bufferedAmount > 1 << 20) await sleep(2);
        if (i % 8 === 0) await sleep(1);
      }
      expect(await dropped(), 'the gateway dropped frames for the stalled viewer').toBeGreaterThan(0);
      // Deltas from here on: only the screen module can give the viewer a picture again.
      for (let k = 0; k < 3; k++, i++) sender.offer(frameAt(i));
      tcpOf(tech).resume();
      for (let k = 0; k < 6; k++, i++) {
        await sleep(150);
        sender.offer(frameAt(i));
      }
      expect(await eventually(() => viewer.frame === sender.frame, 10_000), `viewer at frame ${viewer.frame}, agent at ${sender.frame}`).toBe(true);
      expect(viewer.decoder!.frame().equals(last!), 'pixel-exact with the last frame the agent sent').toBe(true);
      expect(viewer.counts.waiting + viewer.counts.failed, 'no delta without its base reached the viewer').toBe(0);
      const repairs = async (kind: string) => (await t.gateway.metrics.screenRepairs.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
      if (repair === 'agent') {
        expect(resyncs).toBeGreaterThan(0);
        expect(await repairs('agent_keyframe')).toBeGreaterThan(0);
      } else {
        expect(resyncs, 'the gateway repaired the viewer without asking the agent').toBe(0);
        expect((await repairs('merged_delta')) + (await repairs('gateway_keyframe'))).toBeGreaterThan(0);
      }
      customer.end();
    });
  });
}
