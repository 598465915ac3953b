/**
 * The agent on direct paths: the SDK's path layer (SessionPaths) under the agent's screen, cursor and input.
 * When a technician's layer says it can number reliable messages (its `seq` signal; the gateway refuses every
 * signal under `relayOnly`, so there nothing starts), the agent starts its own layer, bound to that technician,
 * and the two look for a direct path (negotiatePath: TCP, UDP hole punch, birthday punch). Screen and cursor go
 * on the direct path while that technician is the only one watching (other viewers and a recorder see only what
 * the relay carries); input comes from either path. A technician without the layer (the web console) is served
 * plain on the relay. The relay does not say which technician sent a binary message and one layer numbers for
 * one peer, so when control passes to another technician the layer is retired: the session goes back to plain
 * messages on the relay for the rest of it.
 *
 * The gateway enforces grants only on what it relays. On a direct path the agent does it alone, twice: the
 * customer agent's own checks (frames only while `view`, input only while `control`), and here, before a
 * message is delivered at all: input only from the technician holding control, files only under `files`.
 */
import type { Power } from '../../protocol/channels.js';
import type { ParticipantInfo } from '../../protocol/messages.js';
import { Emitter } from '../sdk/src/emitter.js';
import type { SessionConnection } from '../sdk/src/node.js';
import type { PathKind } from '../sdk/src/paths/direct-path.js';
import type { NegotiateOptions, NegotiatedPath } from '../sdk/src/paths/negotiate-path.js';
import { SessionPaths } from '../sdk/src/paths/session-paths.js';
import { sessionSignals, type SignalChannel } from '../sdk/src/paths/signal-channel.js';
import type { FrameSink } from './screen-stream.js';

const INPUT = 0x02;
const FILE = 0x03;
const SCREEN = 0x01;
const CURSOR = 0x05;

export type AgentPathsSession = Pick<SessionConnection, 'on' | 'send' | 'sendBulk' | 'sendRaw' | 'signal' | 'bufferedAmount' | 'policy'>;

/** What the agent's grants say, asked at the moment a direct-path message arrives. */
export interface AgentGrants {
  has(power: Power): boolean;
  /** Participant id of the technician holding control (null: nobody). */
  controller(): string | null;
  /** A keyframe for the viewers (after a move, or when the technician on the path lost the picture). */
  resync(): void;
}

export type AgentPathsEvents = {
  path: [{ kind: PathKind; description: string }];
  /** Negotiation ended (found a path or stays on the relay): for logs and the bench. */
  negotiated: [NegotiatedPath];
};

export type AgentPathsOptions = Omit<NegotiateOptions, 'role' | 'signals' | 'relayOnly'>;

/**
 * Options, or how to get them once a technician's layer speaks: the public address lookup and WebRTC's native
 * library then cost a session that never goes direct nothing, and the agent's start-up nothing either.
 */
export type AgentPathsSetup = AgentPathsOptions | (() => Promise<AgentPathsOptions>);

export class AgentPaths extends Emitter<AgentPathsEvents> implements FrameSink {
  /** Null until a technician's layer speaks (for good under relayOnly, and again once retired). */
  layer: SessionPaths | null = null;
  /** Who holds control (from the participants list): only that technician's layer gets ours. */
  private controller: string | null = null;
  private grants: AgentGrants | null = null;
  /** The technician whose layer answered: the one a direct path joins us with. */
  private peer: string | null = null;
  private watchers = 0;
  private readonly handlers: ((channel: number, payload: Uint8Array) => void)[] = [];
  private readonly offs: (() => void)[] = [];
  /** The layer was retired (control passed on): plain relay from now on. */
  private retired = false;
  private closed = false;
  /** Path signals that came before we knew the technician has the layer (its hello may beat its `seq`). */
  private early: { from: string; data: Record<string, unknown> }[] = [];

  constructor(
    private readonly conn: AgentPathsSession,
    private readonly setup: AgentPathsSetup,
  ) {
    super();
    this.offs.push(
      conn.on('data', (channel, payload) => !this.layer && this.deliver(channel, payload)),
      conn.on('participants', (e) => this.participantsChanged(e.list, e.controller)),
      conn.on('signal', (m) => this.signalled(m.from, m.data)),
    );
  }

  /** The agent's grants (CustomerAgent: its consent and the controller); before that nothing direct is delivered. */
  attach(grants: AgentGrants): void {
    this.grants = grants;
  }

  /** Input and other data for the agent, from the relay or the direct path (numbers removed). */
  onData(handler: (channel: number, payload: Uint8Array) => void): () => void {
    this.handlers.push(handler);
    return () => void this.handlers.splice(this.handlers.indexOf(handler) >>> 0, 1);
  }

  get kind(): PathKind {
    return this.layer?.kind ?? 'relay';
  }

  /** FrameSink: screen and cursor on the direct path while its technician is the only viewer. */
  get bufferedAmount(): number {
    return this.mediaDirect() ? this.layer!.bufferedAmount : this.conn.bufferedAmount;
  }

  sendRaw(bytes: Uint8Array): void {
    if (this.mediaDirect() && (bytes[0] === SCREEN || bytes[0] === CURSOR)) this.layer!.send(bytes[0]!, bytes.subarray(1));
    else this.conn.sendRaw(bytes);
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    this.layer?.close();
  }

  private mediaDirect(): boolean {
    return this.layer !== null && this.layer.kind !== 'relay' && this.watchers <= 1;
  }

  /** Our layer, for the technician whose layer spoke first; then the search for a direct path with it. */
  private start(peer: string): void {
    if (this.conn.policy?.relayOnly) return; // every byte stays on the gateway (recording, content audit)
    this.peer = peer;
    const layer = new SessionPaths(this.conn, sessionSignals(this.conn, peer), { mayReceive: (channel) => this.mayReceive(channel) });
    this.layer = layer;
    layer.on('message', (channel, payload) => this.deliver(channel, payload));
    layer.on('path', (p) => {
      this.emit('path', p);
      // The viewer on the new path may lack the frame the next delta builds on: a keyframe on the new path.
      if (this.grants?.has('view')) this.grants.resync();
    });
  }

  private mayReceive(channel: number): boolean {
    if (!this.grants) return false;
    if (channel === INPUT) return this.grants.has('control') && this.grants.controller() === this.peer;
    if (channel === FILE) return this.grants.has('files');
    return true;
  }

  private signalled(from: string, data: Record<string, unknown>): void {
    if (data.topic === 'path' && !this.peer && this.early.length < 16) this.early.push({ from, data });
    // A technician's path layer spoke: ours starts for it (once a session), then a direct path is looked for.
    if (data.topic === 'seq' && !this.peer && !this.retired && !this.closed && (this.controller === null || this.controller === from)) {
      this.start(from);
      if (!this.layer) return;
      const replaying = this.keptSignals(from);
      // Loaded on first use: the per-session certificate's X.509 library is heavy for the agent's start-up.
      const negotiation = Promise.all([import('../sdk/src/paths/negotiate-path.js'), typeof this.setup === 'function' ? this.setup() : this.setup]);
      negotiation.then(([{ negotiatePath }, options]) => negotiatePath({ ...options, role: 'customer', signals: replaying })).then(
        (r) => {
          this.emit('negotiated', r);
          if (!r.path) return;
          if (this.closed || !this.layer) return r.path.close('agent closed');
          this.layer.use(r.path);
        },
        () => undefined, // no listening port, no STUN: the session simply stays on the relay
      );
    }
    // The technician on the direct path lost the picture (the gateway cannot see it there and ask for us).
    if (data.topic === 'screen' && data.step === 'resync' && from === this.peer && this.grants?.has('view')) this.grants.resync();
  }

  /**
   * The technician's signals from now on, kept (with those that came before its `seq`) until negotiatePath
   * listens: it starts only after an import, and the technician's hello is usually on its way by then.
   */
  private keptSignals(from: string): SignalChannel {
    const signals = sessionSignals(this.conn, from);
    const kept = this.early.filter((e) => e.from === from).map((e) => e.data);
    this.early = [];
    let handler: ((data: unknown) => void) | null = null;
    const off = signals.onSignal((data) => {
      if (handler) handler(data);
      else if ((data as { topic?: unknown }).topic === 'path' && kept.length < 16) kept.push(data as Record<string, unknown>);
    });
    this.offs.push(off);
    return {
      send: (d) => signals.send(d),
      onSignal: (h) => {
        handler = h;
        for (const d of kept.splice(0)) h(d);
        return () => {
          handler = null;
          off();
        };
      },
    };
  }

  private participantsChanged(list: ParticipantInfo[], controller: string | null): void {
    this.watchers = list.filter((p) => p.role !== 'customer').length;
    this.controller = controller;
    if (this.layer && controller !== null && controller !== this.peer) {
      this.retired = true;
      this.layer.close(); // closes the direct path too; the next frames go on the relay to everyone
      this.layer = null;
      this.emit('path', { kind: 'relay', description: 'gateway relay (control passed to another technician)' });
    }
  }

  private deliver(channel: number, payload: Uint8Array): void {
    for (const h of this.handlers) h(channel, payload);
  }
}
