import { sql, type Kysely } from 'kysely';
import type { FeedEvent } from './envelope.js';
import { MAX_FEED_BATCH, MAX_FEED_WAIT_MS, OutboxSignal, readFeedWaiting } from './feed.js';

/** Called with each event of this silo's outbox, in feed order. */
export type LiveListener = (event: FeedEvent) => void;

interface Logger {
  warn(object: object, message: string): void;
}

/** How long the reader waits before it tries its database again after a failure. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * The events this silo commits from now on, for its live subscriptions. They are read from the outbox, in feed order
 * and woken by the outbox's NOTIFY, never passed around in memory: every replica of the silo sees every event
 * whichever replica wrote it, and so does a process that starts after the change. One reader per process serves all
 * its subscriptions; it runs only while someone listens.
 */
export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private reader: { abort: AbortController; started: Promise<void>; done: Promise<void> } | null = null;

  constructor(
    private readonly db: Kysely<any>,
    private readonly outbox: OutboxSignal,
    private readonly logger?: Logger,
  ) {}

  /** How many listeners receive events (tests wait for a subscription to be live with it). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Calls `listener` with every event committed after this resolves, until the returned function is called. It
   * resolves once the reader knows where the feed ends, so an event committed afterwards cannot be missed, and
   * rejects when the database does not tell it. Once listening, a database that goes away delays events, and they
   * follow when it is back.
   */
  async listen(listener: LiveListener): Promise<() => void> {
    for (;;) {
      const reader = (this.reader ??= this.startReader());
      await reader.started;
      // The last other listener may have left (and stopped this reader) while this one waited: start another.
      if (this.reader !== reader) continue;
      this.listeners.add(listener);
      return () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0 && this.reader === reader) this.stopReader();
      };
    }
  }

  /** Stops reading; listeners get nothing more. */
  async close(): Promise<void> {
    this.listeners.clear();
    const reader = this.reader;
    this.stopReader();
    await reader?.done;
  }

  private stopReader() {
    this.reader?.abort.abort();
    this.reader = null;
  }

  private startReader() {
    const abort = new AbortController();
    let markStarted!: () => void;
    let failStart!: (error: unknown) => void;
    const started = new Promise<void>((resolve, reject) => {
      markStarted = resolve;
      failStart = reject;
    });
    // Listeners waiting for the start get its failure; nobody else needs to hear of it.
    started.catch(() => {});
    const done = (async () => {
      let cursor: string | null = null;
      while (!abort.signal.aborted) {
        try {
          cursor ??= await feedEnd(this.db);
          markStarted();
          const events = await readFeedWaiting(this.db, this.outbox, cursor, {
            limit: MAX_FEED_BATCH,
            waitMs: MAX_FEED_WAIT_MS,
            signal: abort.signal,
          });
          for (const event of events) {
            if (abort.signal.aborted) break;
            for (const listener of this.listeners) listener(event);
            cursor = event.cursor;
          }
        } catch (error) {
          if (abort.signal.aborted) break;
          // Nothing can be promised to a listener before the feed's end is known: those waiting fail now (their
          // subscriptions say the database is unavailable) rather than hang until it is back, and the next one
          // starts a reader anew.
          if (cursor === null) {
            if (this.reader?.abort === abort) this.reader = null;
            failStart(error);
            return;
          }
          this.logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'live events: reading the outbox failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS));
        }
      }
      markStarted();
    })();
    return { abort, started, done };
  }
}

/**
 * The cursor of the last event the feed can serve now. Events of transactions still running are not before it:
 * they carry a transaction id at least the oldest running one, so they come after it when they commit.
 */
async function feedEnd(db: Kysely<any>): Promise<string> {
  const result = await sql<{ cursor: string }>`
    select transaction_id::text || ':' || position::text as cursor
    from outbox_events
    where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    order by transaction_id desc, position desc
    limit 1 /* liveFeedEnd */`.execute(db);
  return result.rows[0]?.cursor ?? '0:0';
}

/**
 * Orders two cursors, part by part: feed cursors (`<transaction id>:<position>`) and the deliveries of live
 * subscriptions, which add the index of each value one event gave (`…:<index>`). Negative when `a` comes first; a
 * cursor sorts before its own extensions.
 */
export function compareCursors(a: string, b: string): number {
  const left = a.split(':').map(BigInt);
  const right = b.split(':').map(BigInt);
  for (let part = 0; part < Math.max(left.length, right.length); part += 1) {
    const x = left[part] ?? -1n;
    const y = right[part] ?? -1n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
