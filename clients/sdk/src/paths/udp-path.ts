import type { SessionDescription } from '../../../../protocol/path-signal.js';
import type { SendResult } from './direct-path.js';
import { PathBase } from './path-base.js';

/**
 * The UDP path: a WebRTC data channel (ICE for the hole punch, DTLS for encryption, SCTP for reliable ordered
 * delivery with congestion control), chosen by measurement (docs/architecture.md, "Paths"). ICE uses the
 * gateway's STUN endpoint for the reflexive candidates. The offer and answer travel over the relay: they carry
 * each side's DTLS certificate fingerprint, and DTLS accepts only that certificate, which is what keeps a
 * machine on the direct path out. In Node the implementation is @roamhq/wrtc (libwebrtc); a browser passes
 * its own RTCPeerConnection.
 */
export interface RtcDataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: ArrayBufferView): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface RtcPeerConnectionLike {
  readonly iceGatheringState: string;
  readonly connectionState?: string;
  readonly localDescription: { type: string; sdp: string } | null;
  createDataChannel(label: string, options?: { ordered?: boolean }): RtcDataChannelLike;
  createOffer(): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  close(): void;
  onicecandidate: ((ev: { candidate: unknown }) => void) | null;
  ondatachannel: ((ev: { channel: RtcDataChannelLike }) => void) | null;
  onconnectionstatechange: (() => void) | null;
}

export type RtcPeerConnectionConstructor = new (config: { iceServers: { urls: string }[] }) => RtcPeerConnectionLike;

/** Bounds: gathering (the STUN answer is one round trip; a blocked UDP must not stall us) and connecting. */
const GATHER_MS = 1500;
export const UDP_CONNECT_MS = 3000;
const MAX_BUFFERED = 16 << 20;

export type { SessionDescription };

/** One attempt at the UDP path. The controlling side makes the offer; the other answers it. */
export class UdpPathAttempt {
  private readonly pc: RtcPeerConnectionLike;
  private channel: RtcDataChannelLike | undefined;
  private settled = false;
  private resolveChosen!: (path: UdpPath | null) => void;
  readonly chosen: Promise<UdpPath | null> = new Promise((r) => (this.resolveChosen = r));
  private readonly gathered: Promise<void>;

  constructor(
    Rtc: RtcPeerConnectionConstructor,
    stun: { host: string; port: number } | undefined,
    private readonly controlling: boolean,
  ) {
    this.pc = new Rtc({ iceServers: stun ? [{ urls: `stun:${stun.host}:${stun.port}` }] : [] });
    this.gathered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, GATHER_MS);
      // Host candidates come at once; the reflexive one from the gateway's STUN is all a hole punch needs
      // beyond them, so gathering ends there (libwebrtc would go on trying other servers and interfaces).
      this.pc.onicecandidate = (ev) => {
        const text = (ev.candidate as { candidate?: string } | null)?.candidate ?? '';
        if (!ev.candidate || text.includes(' typ srflx')) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    if (controlling) this.watch(this.pc.createDataChannel('relaydesk', { ordered: true }));
    else this.pc.ondatachannel = (ev) => this.watch(ev.channel);
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed') this.finish(null);
    };
    void this.gathered.then(() => setTimeout(() => this.finish(null), UDP_CONNECT_MS + GATHER_MS).unref?.());
  }

  /** Controlling side: the offer, once candidates are gathered (non-trickle: one signal each way). */
  async offer(): Promise<SessionDescription> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered;
    return { type: 'offer', sdp: this.pc.localDescription!.sdp };
  }

  /** Controlled side: answers the peer's offer. */
  async answer(offer: SessionDescription): Promise<SessionDescription> {
    await this.pc.setRemoteDescription(offer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered;
    return { type: 'answer', sdp: this.pc.localDescription!.sdp };
  }

  async accept(answer: SessionDescription): Promise<void> {
    await this.pc.setRemoteDescription(answer);
  }

  private watch(channel: RtcDataChannelLike): void {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    // Read from the first moment: libwebrtc can hand over messages before our 'open' handler has run, and
    // a handler set later would see newer ones first (measured: 1 run in ~20 reordered the first messages).
    const early: unknown[] = [];
    channel.onmessage = (ev) => void (early.length < 4096 && early.push(ev.data));
    const open = () => this.finish(new UdpPath(this.pc, channel, early));
    if (channel.readyState === 'open') open();
    else channel.onopen = open;
  }

  private finish(path: UdpPath | null): void {
    if (this.settled) {
      path?.close('superseded');
      return;
    }
    this.settled = true;
    if (!path) {
      this.channel?.close();
      this.pc.close();
    }
    this.resolveChosen(path);
  }

  close(): void {
    this.finish(null);
  }
}

export class UdpPath extends PathBase {
  readonly kind = 'udp' as const;
  readonly description = 'WebRTC data channel (ICE/DTLS/SCTP)';

  constructor(
    private readonly pc: RtcPeerConnectionLike,
    private readonly channel: RtcDataChannelLike,
    early: unknown[] = [],
  ) {
    super();
    const onData = (raw: unknown) => {
      const data = raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw instanceof Uint8Array ? raw : null;
      if (!data || data.length < 1) return this.close('bad input: empty message');
      this.received(data[0]!, data.subarray(1));
    };
    for (const raw of early.splice(0)) onData(raw);
    channel.onmessage = (ev) => onData(ev.data);
    channel.onclose = () => this.close('data channel closed');
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') this.close(`ICE ${pc.connectionState}`);
    };
    this.keepalive.start();
  }

  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  send(channel: number, payload: Uint8Array): SendResult {
    if (this.closed || this.channel.bufferedAmount > MAX_BUFFERED) return 'dropped';
    this.write(channel, payload);
    return this.channel.bufferedAmount > 1 << 20 ? 'queued' : 'sent';
  }

  protected write(channel: number, payload: Uint8Array): boolean {
    if (this.closed || this.channel.readyState !== 'open') return false;
    const message = new Uint8Array(payload.length + 1);
    message[0] = channel;
    message.set(payload, 1);
    this.channel.send(message);
    return true;
  }

  protected release(): void {
    this.channel.close();
    this.pc.close();
  }
}
