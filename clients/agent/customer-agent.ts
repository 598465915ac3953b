/**
 * The customer agent's logic, without a terminal: it ties one session (the SDK's SessionConnection) to one
 * shared desktop. The customer is in charge: every request becomes a prompt unless they already allowed it
 * for the session; grants are enforced here as well as at the gateway (input only while `control` stands,
 * frames only while `view` stands, clipboard and system information only under their own powers); any grant
 * can be taken back at once; sharing pauses and resumes; ending stops every power. The TTY front end
 * (agent.ts) only renders the events and forwards the customer's answers; tests drive this class directly.
 */
import type { Power } from '../../protocol/channels.js';
import { MAX_CLIPBOARD_CHARS, MAX_SYSINFO_BYTES, type ParticipantInfo } from '../../protocol/messages.js';
import { Emitter } from '../sdk/src/emitter.js';
import type { SessionConnection } from '../sdk/src/node.js';
import { Consent, type Answer, type Prompt } from './consent.js';
import type { Desktop } from './desktop.js';
import { FileExchange, type FilePrompt } from './file-exchange.js';
import { InputHandler, type InputRejection } from './input-handler.js';
import { ScreenStream, type FrameSink, type ScreenStreamOptions } from './screen-stream.js';
import { collectSystemInfo, fitSystemInfo, type SystemInfo } from './sysinfo.js';

const INPUT_CHANNEL = 0x02;
/** One input error report per code per this long: a technician holding a bad key must not flood the session. */
const REJECTION_REPORT_MS = 1000;

export type AgentSession = Pick<
  SessionConnection,
  'on' | 'grant' | 'revoke' | 'end' | 'chat' | 'sendRaw' | 'bufferedAmount' | 'guid' | 'share' | 'clipboard' | 'sysinfo' | 'signal' | 'fileControl' | 'sendBulk' | 'policy' | 'recordingAction'
>;

export interface AgentStatus {
  /** What is shared: a whole monitor or screen, or one window, and its current size. */
  sharing: { kind: 'monitor' | 'window'; label: string; width: number; height: number; state: 'live' | 'paused' | 'off' | 'gone' };
  /** Technicians connected (they see the screen while `view` stands). */
  watchers: string[];
  /** Who may control the customer's machine now, or null. */
  controller: string | null;
  grants: Power[];
  session: 'waiting' | 'active' | 'closed';
  /** The gateway records the session now (its recorder is in the participants list). */
  recording: boolean;
}

export type AgentEvents = {
  prompt: [Prompt];
  /** A technician offers a file: the customer accepts (files.accept) or declines it. */
  filePrompt: [FilePrompt];
  status: [AgentStatus];
  /** Something to tell the customer (chat, a grant answered automatically, an error). */
  notice: [string];
  inputRejected: [InputRejection];
  /** The session is over; every power stopped. */
  ended: [string];
  /** A technician asks to record the session: answer with answerRecording(). `from`: who asks. */
  recordingPrompt: [{ from: string }];
};

export interface CustomerAgentOptions {
  kind: 'monitor' | 'window';
  label: string;
  allow?: Power[];
  stream?: ScreenStreamOptions;
  collectSystemInfo?: () => Promise<SystemInfo>;
  now?: () => number;
  /**
   * Nobody is at the machine (`--unattended`; the join said so and the organisation's policy allowed it):
   * requests are answered from `allow` alone and never become prompts; recording requests are refused.
   */
  unattended?: boolean;
  /** Where received files are saved (a real path: downloads.ts downloadsDirectory); without it, files are off. */
  downloadsDir?: string;
  /**
   * Where screen and cursor go and input comes from, when not straight on the session (agent-paths.ts: the
   * SDK's path layer, so they go direct when a path exists). Control messages stay on the session.
   */
  transport?: FrameSink & { onData(handler: (channel: number, payload: Uint8Array) => void): () => void };
}

export class CustomerAgent extends Emitter<AgentEvents> {
  readonly consent: Consent;
  /** Null when there is no desktop to share (no display): the agent still joins, chats and answers requests. */
  readonly stream: ScreenStream | null;
  readonly input: InputHandler | null;
  /** File transfer both ways (null without a downloads directory). */
  readonly files: FileExchange | null;
  private session: 'waiting' | 'active' | 'closed' = 'waiting';
  private technicianName: string | null = null;
  private participants: ParticipantInfo[] | null = null;
  private controllerId: string | null = null;
  private shareState: 'live' | 'paused' | 'gone' = 'live';
  private readonly lastReport = new Map<string, number>();
  private readonly offs: (() => void)[] = [];
  private readonly now: () => number;
  private recording = false;

  constructor(
    private readonly conn: AgentSession,
    private readonly desktop: Desktop | null,
    private readonly options: CustomerAgentOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.consent = new Consent(options.allow ?? []);
    this.stream = desktop ? new ScreenStream(desktop, options.transport ?? conn, options.stream) : null;
    this.input = desktop ? new InputHandler(desktop, () => this.consent.has('control') && this.session === 'active', (r) => this.rejected(r)) : null;
    this.files = options.downloadsDir
      ? new FileExchange(conn, {
          downloadsDir: options.downloadsDir,
          granted: () => this.consent.has('files') && this.session === 'active',
          nameOf: (id) => this.participants?.find((p) => p.id === id)?.name ?? this.technicianName ?? 'the technician',
        })
      : null;
    this.files?.on('prompt', (p) => this.emit('filePrompt', p));
    this.files?.on('notice', (n) => this.emit('notice', n));
    this.offs.push(
      conn.on('state', (s) => {
        if (s.technician) this.technicianName = s.technician;
        if (s.state === 'active') this.activate();
        else if (s.state === 'closed' || s.state === 'expired') this.finish(s.reason ?? s.state);
        this.changed();
      }),
      conn.on('request', (p, who) => this.receiveRequest(p, who.name ?? null)),
      options.transport ? options.transport.onData((channel, payload) => this.receive(channel, payload)) : conn.on('data', (channel, payload) => this.receive(channel, payload)),
      conn.on('resync', () => this.consent.has('view') && this.stream?.resync()),
      conn.on('chat', (c) => this.emit('notice', `${c.from === 'technician' ? (this.technicianName ?? 'technician') : 'you'}: ${c.text}`)),
      conn.on('participants', (e) => this.receiveControl({ type: 'participants', ...e })),
      conn.on('clipboard', (c) => this.receiveControl({ type: 'clipboard', text: c.text })),
      conn.on('close', (c) => this.finish(c.reason || `closed (${c.code})`)),
      conn.on('recording', (r) => this.receiveRecording(r.state, r.name ?? 'the technician', r.reason, r.message)),
    );
    this.stream?.on('resized', () => this.announceShare());
    this.stream?.on('gone', () => {
      this.shareState = 'gone';
      this.emit('notice', 'the shared window is gone: nothing is shared now');
      this.announceShare();
      this.changed();
    });
    this.stream?.on('failed', (e) => this.emit('notice', `screen capture stopped: ${(e as { code?: string }).code ?? ''} ${e.message}`));
    this.stream?.on('clipboard', (text) => {
      if (!this.consent.has('clipboard') || this.session !== 'active') return;
      if (text.length > MAX_CLIPBOARD_CHARS) this.emit('notice', `your clipboard (${text.length} characters) is too long to send; at most ${MAX_CLIPBOARD_CHARS}`);
      else this.conn.clipboard(text);
    });
  }

  /**
   * Input or other binary data, from the gateway or from a direct path (which the gateway never sees): feed the
   * SDK path layer's `message` events (sequence number removed) here when the session uses SessionPaths.
   */
  receive(channel: number, payload: Uint8Array): void {
    if (channel !== INPUT_CHANNEL) return;
    if (this.input) this.input.handle(payload);
    else this.rejected({ code: 'E_NOTHING_SHARED', message: 'input refused: the customer shares no desktop' });
  }

  /** Participant id of the technician holding control now (null: nobody, or not known yet). */
  get controllerParticipant(): string | null {
    return this.controllerId;
  }

  /** The customer's answer to a prompt. */
  answer(id: number, answer: Answer): void {
    const power = this.consent.answer(id, answer);
    if (!power) return;
    this.granted(power, answer === 'session');
  }

  /** Takes a power back at once (effective here before the gateway hears of it). */
  revoke(power: Power): void {
    if (!this.consent.revoke(power)) return;
    this.stopPower(power);
    this.conn.revoke(power);
    this.changed();
  }

  /** Grants a power without being asked. */
  grant(power: Power): void {
    this.consent.grant(power);
    this.granted(power, false);
  }

  pause(): void {
    if (this.shareState !== 'live') return;
    this.shareState = 'paused';
    this.stream?.pause();
    this.announceShare();
    this.changed();
  }

  resume(): void {
    if (this.shareState !== 'paused') return;
    this.shareState = 'live';
    this.stream?.resume();
    this.announceShare();
    this.changed();
  }

  /** Ends the session for everyone; every power stops now, not when the gateway answers. */
  end(): void {
    this.conn.end();
    this.finish('customer_ended');
  }

  chat(text: string): void {
    this.conn.chat(text);
  }

  status(): AgentStatus {
    const techs = this.participants?.filter((p) => p.role === 'technician') ?? [];
    const watchers = this.session === 'closed' ? [] : this.participants ? techs.map((p) => p.name) : this.session === 'active' && this.technicianName ? [this.technicianName] : [];
    let controller: string | null = null;
    if (this.consent.has('control') && this.session === 'active') {
      controller = this.participants ? (techs.find((p) => p.id === this.controllerId)?.name ?? null) : this.technicianName;
    }
    const state = this.shareState === 'gone' ? 'gone' : !this.stream || !this.consent.has('view') || this.session !== 'active' ? 'off' : this.shareState;
    return {
      sharing: { kind: this.options.kind, label: this.options.label, width: this.stream?.width ?? 0, height: this.stream?.height ?? 0, state },
      watchers,
      controller,
      grants: this.consent.list(),
      session: this.session,
      recording: this.recording && this.session === 'active',
    };
  }

  private activate(): void {
    if (this.session === 'active') return;
    this.session = 'active';
    // Poll the desktop from now on, shared or not: the clipboard and the shared window's fate need its events.
    this.stream?.run();
    // Powers granted up front (--allow) reach the gateway now that a technician is there.
    for (const p of this.consent.list()) this.granted(p, true, false);
  }

  /** A technician asks for a power (from the gateway, or a direct path); `name` is who asks. */
  receiveRequest(power: Power, name: string | null = null): void {
    const from = name ?? this.technicianName ?? 'the technician';
    const r = this.consent.request(power, from);
    if (r.granted) {
      this.emit('notice', `${from} asked for "${power}": allowed (you already allowed it)`);
      this.granted(power, true);
    } else if (this.options.unattended) {
      // Nobody is here to answer: what was not allowed up front is refused, not left waiting.
      this.consent.answer(r.prompt.id, 'refuse');
      this.emit('notice', `${from} asked for "${power}": refused (unattended: only --allow powers are granted)`);
    } else {
      this.emit('prompt', r.prompt);
    }
  }

  /** The customer's answer to a recording request: consent (the gateway's recorder joins) or refuse. */
  answerRecording(consent: boolean): void {
    if (this.session === 'active') this.conn.recordingAction(consent ? 'consent' : 'refuse');
  }

  /** Withdraws consent to a recording the customer agreed to (a policy that records every session cannot be stopped). */
  stopRecording(): void {
    if (this.session === 'active') this.conn.recordingAction('stop');
  }

  private receiveRecording(state: string, name: string, reason?: string, message?: string): void {
    if (state === 'requested') {
      if (this.options.unattended) {
        this.conn.recordingAction('refuse');
        this.emit('notice', `${name} asked to record the session: refused (unattended: nobody can consent)`);
      } else {
        this.emit('recordingPrompt', { from: name });
      }
      return;
    }
    if (state === 'on' || state === 'off') {
      this.recording = state === 'on';
      this.emit('notice', state === 'on' ? 'this session is being recorded by the gateway (the "recorder" participant)' : `recording stopped (${reason ?? 'stopped'}${message ? `: ${message}` : ''})`);
      this.changed();
    }
  }

  private granted(power: Power, forSession: boolean, announce = true): void {
    if (this.session === 'closed') return;
    if (this.session === 'active') this.conn.grant(power);
    if (power === 'view' && this.session === 'active') {
      this.stream?.start();
      this.announceShare();
    }
    if (power === 'sysinfo' && this.session === 'active') void this.sendSystemInfo(forSession);
    if (announce) this.changed();
  }

  private stopPower(power: Power): void {
    if (power === 'view') this.stream?.stop();
    if (power === 'control') this.desktop?.releaseAll();
    if (power === 'files') this.files?.stopAll();
  }

  private async sendSystemInfo(forSession: boolean): Promise<void> {
    const info = await (this.options.collectSystemInfo ?? collectSystemInfo)();
    // The customer may have taken it back (or ended) while we collected.
    if (!this.consent.has('sysinfo') || this.session !== 'active') return;
    this.conn.sysinfo(fitSystemInfo(info, MAX_SYSINFO_BYTES) as unknown as Record<string, unknown>);
    if (!forSession && this.consent.used('sysinfo')) {
      this.conn.revoke('sysinfo');
      this.changed();
    }
  }

  /** A control message the SDK does not handle itself (participants, clipboard), from the gateway or a direct path. */
  receiveControl(m: Record<string, unknown>): void {
    if (m.type === 'participants' && Array.isArray(m.list)) {
      this.participants = (m.list as ParticipantInfo[]).filter((p) => p && typeof p.id === 'string');
      this.controllerId = typeof m.controller === 'string' ? m.controller : null;
      const tech = this.participants.find((p) => p.role === 'technician');
      if (tech && !this.technicianName) this.technicianName = tech.name;
      this.changed();
    } else if (m.type === 'clipboard' && typeof m.text === 'string') {
      if (!this.consent.has('clipboard') || !this.desktop) return;
      try {
        this.desktop.setClipboard(m.text);
      } catch (err) {
        this.emit('notice', `clipboard from the technician refused: ${(err as Error).message}`);
      }
    }
  }

  private rejected(r: InputRejection): void {
    this.emit('inputRejected', r);
    const last = this.lastReport.get(r.code) ?? -Infinity;
    if (this.now() - last < REJECTION_REPORT_MS) return;
    this.lastReport.set(r.code, this.now());
    // Tell the technician why their input did nothing (a signal, to the one holding control).
    this.conn.signal({ type: 'input-rejected', code: r.code, message: r.message }, this.controllerId ?? undefined);
  }

  private announceShare(): void {
    if (this.session !== 'active' || !this.consent.has('view') || !this.stream) return;
    if (this.shareState === 'gone') return;
    this.conn.share({ state: this.shareState, kind: this.options.kind, width: this.stream.width, height: this.stream.height });
  }

  private finish(reason: string): void {
    if (this.session === 'closed') return;
    this.session = 'closed';
    this.stream?.close();
    this.desktop?.releaseAll();
    this.files?.stopAll();
    this.consent.clear();
    this.changed();
    this.emit('ended', reason);
  }

  /** Detaches from the session and closes the desktop (releasing keys, restoring the keymap). */
  close(): void {
    this.finish('closed');
    for (const off of this.offs) off();
    this.desktop?.close();
  }

  private changed(): void {
    this.emit('status', this.status());
  }
}
