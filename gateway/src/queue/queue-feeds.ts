import type { QueueEntry } from '../../../protocol/queue-messages.js';
import type { Logger } from '../log/logger.js';
import type { Registry } from '../registry/registry.js';
import type { TransitionEvent } from '../session/transition.js';
import { queueEntry } from './queue-entry.js';

/** A console subscribed to its organisation's queue. `send` gets the JSON text of one `queue` message. */
export interface QueueSubscriber {
  send(text: string): void;
}

export interface QueueFeedOptions {
  /**
   * How often a feed re-reads its organisation's queue from the registry, or 0 for never. Transitions on
   * this gateway refresh a feed at once; the poll is what shows transitions made by other gateways (Redis).
   */
  pollMs: number;
  /** Most entries in one snapshot (the oldest first); `total` still counts them all. */
  maxEntries: number;
}

/**
 * One feed per organisation, shared by all of its subscribers on this gateway: one registry read per change
 * (or per poll) whatever the number of consoles, and a snapshot is sent only when the queue changed.
 */
interface Feed {
  readonly orgId: string;
  readonly subscribers: Set<QueueSubscriber>;
  /** The last snapshot's entries as JSON, to skip sending an unchanged queue. */
  lastEntries: string | null;
  lastText: string | null;
  /** Earliest expiresAt in the snapshot: an expiry removes a customer without a transition event. */
  nextExpiry: number;
  lastRead: number;
  reading: boolean;
  /** A change arrived during a read: read again when it ends. */
  stale: boolean;
}

export class QueueFeeds {
  private readonly feeds = new Map<string, Feed>();
  private closed = false;

  constructor(
    private readonly deps: { registry: Pick<Registry, 'listWaiting'>; log: Logger; now: () => number },
    private readonly options: QueueFeedOptions,
  ) {}

  /** Number of organisations with at least one subscriber here. */
  get feedCount(): number {
    return this.feeds.size;
  }

  /** Adds a subscriber; it gets the current snapshot at once (after the first read for a new feed). */
  subscribe(orgId: string, subscriber: QueueSubscriber): () => void {
    let feed = this.feeds.get(orgId);
    if (!feed) {
      feed = { orgId, subscribers: new Set(), lastEntries: null, lastText: null, nextExpiry: Infinity, lastRead: 0, reading: false, stale: false };
      this.feeds.set(orgId, feed);
      this.refresh(feed);
    } else if (feed.lastText !== null) {
      subscriber.send(feed.lastText);
    }
    feed.subscribers.add(subscriber);
    const f = feed;
    return () => {
      f.subscribers.delete(subscriber);
      if (f.subscribers.size === 0 && this.feeds.get(orgId) === f) this.feeds.delete(orgId);
    };
  }

  /** Transition hook: a session of an organisation with subscribers changed here, so its queue may have. */
  readonly onTransition = (event: TransitionEvent): void => {
    const feed = this.feeds.get(event.session.orgId);
    if (feed) this.refresh(feed);
  };

  /** Called once a second: polls (cluster) and drops expired customers. */
  tick(): void {
    const now = this.deps.now();
    for (const feed of this.feeds.values()) {
      const due = this.options.pollMs > 0 && now - feed.lastRead >= this.options.pollMs;
      if (due || feed.nextExpiry <= now) this.refresh(feed);
    }
  }

  close(): void {
    this.closed = true;
    this.feeds.clear();
  }

  private refresh(feed: Feed): void {
    if (feed.reading) {
      feed.stale = true;
      return;
    }
    feed.reading = true;
    feed.stale = false;
    feed.lastRead = this.deps.now();
    this.deps.registry
      .listWaiting(feed.orgId)
      .then(
        (records) => {
          if (this.closed || this.feeds.get(feed.orgId) !== feed) return;
          const now = this.deps.now();
          // Records outlive expiresAt briefly (relay/session-relay.ts), as in GET /v1/sessions/waiting.
          const live = records.filter((s) => s.expiresAt > now);
          const entries: QueueEntry[] = live.slice(0, this.options.maxEntries).map(queueEntry);
          feed.nextExpiry = Math.min(Infinity, ...entries.map((e) => e.expiresAt));
          const json = JSON.stringify(entries);
          if (json === feed.lastEntries) return;
          feed.lastEntries = json;
          // `at` is the gateway's clock, so a console computes waiting times without trusting its own.
          feed.lastText = `{"v":1,"type":"queue","at":${now},"total":${live.length},"sessions":${json}}`;
          for (const s of feed.subscribers) s.send(feed.lastText);
        },
        (err: unknown) => {
          // Registry outage: keep the last snapshot; the next tick or transition reads again.
          this.deps.log.warn('queue.read_failed', { orgId: feed.orgId, err });
        },
      )
      .finally(() => {
        feed.reading = false;
        if (feed.stale && !this.closed) this.refresh(feed);
      });
  }
}
