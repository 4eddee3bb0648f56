import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql, type Kysely } from 'kysely';
import { FEED_START, parseCursor, type FeedEvent } from './envelope.js';

export const MAX_FEED_BATCH = 500;
export const MAX_FEED_WAIT_MS = 30_000;

interface OutboxFeedRow {
  position: number;
  transaction_text: string;
  id: string;
  type: string;
  aggregate_id: string;
  payload: unknown;
  occurred_at: Date;
}

/**
 * The events after `cursor`, oldest first. Transactions commit in any order, so a plain sequence is not a safe
 * cursor: an event with a lower position can become visible after a higher one was read. Only events of
 * transactions older than every transaction still running are served (`pg_snapshot_xmin`); no such transaction
 * can ever add another row, so once a consumer is past a cursor nothing can appear behind it. A long transaction
 * delays the feed while it runs; it never makes it skip.
 */
export async function readFeed(db: Kysely<any>, cursor: string, limit: number): Promise<FeedEvent[]> {
  const after = parseCursor(cursor);
  if (!after) throw new Error(`Invalid feed cursor: ${cursor}`);
  const result = await sql<OutboxFeedRow>`
    select position, transaction_id::text as transaction_text, id, type, aggregate_id, payload, occurred_at
    from outbox_events
    where (transaction_id, position) > (${after.transactionId}::xid8, ${after.position}::bigint)
      and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    -- The table's xid8 column, not the text of it: as text, transaction 100000 would sort before 99999.
    order by outbox_events.transaction_id, outbox_events.position
    limit ${limit} /* readFeed */`.execute(db);
  return result.rows.map((row) => ({
    id: row.id,
    type: row.type,
    aggregateId: row.aggregate_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    payload: row.payload,
    cursor: `${row.transaction_text}:${row.position}`,
  }));
}

/** A cursor that names a transaction this database has not reached: the database was restored or moved. */
export class CursorAheadOfFeed extends Error {
  constructor(readonly transactionId: string) {
    super(
      `The cursor names transaction ${transactionId}, which this database has not reached: it was restored or moved to ` +
        'another server, and its transaction ids started again lower. Nothing is served, so nothing is skipped ' +
        "silently; set the consumer's cursor to 0:0 to read the whole feed again (its inbox makes the replay a no-op).",
    );
    this.name = 'CursorAheadOfFeed';
  }
}

/**
 * Transaction ids order the feed, and a database restored from a dump or moved to another server counts them from
 * lower again: a consumer's old cursor would then stand ahead of every new event and skip them all. Such a cursor
 * is refused instead.
 */
async function requireCursorOfThisDatabase(db: Kysely<any>, transactionId: string): Promise<void> {
  const result = await sql<{ ahead: boolean }>`
    select ${transactionId}::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) as ahead /* checkFeedCursor */`.execute(db);
  if (result.rows[0]?.ahead) throw new CursorAheadOfFeed(transactionId);
}

/**
 * Wakes the requests waiting for new events. `notify` is called for every NOTIFY on the outbox channel, from any
 * replica of this silo, since they share the database.
 */
export class OutboxSignal {
  private waiters = new Set<() => void>();
  /** Counts notifications, so a reader can tell whether one came while it was reading. */
  private received = 0;

  get notifications(): number {
    return this.received;
  }

  notify = () => {
    this.received += 1;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  };

  /**
   * Resolves on the next notification, after `ms`, or when `signal` aborts, whichever comes first; at once when a
   * notification came since the reader saw `notifications` equal to `since`.
   */
  wait(ms: number, signal?: AbortSignal, since = this.received): Promise<void> {
    return new Promise((resolve) => {
      if (since !== this.received || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Whether committed events after `cursor` wait behind an older transaction that still runs. Their NOTIFY came
 * and went, and the end of the transaction holding them back (perhaps in another database of the same server)
 * sends none, so the feed must look again by itself.
 */
async function eventsHeldBack(db: Kysely<any>, cursor: string): Promise<boolean> {
  const after = parseCursor(cursor)!;
  const result = await sql<{ held: boolean }>`
    select exists (
      select 1 from outbox_events
      where (transaction_id, position) > (${after.transactionId}::xid8, ${after.position}::bigint)
    ) as held /* eventsHeldBack */`.execute(db);
  return result.rows[0]?.held === true;
}

/** How soon the feed looks again for events held back by an older transaction. */
const HELD_BACK_RECHECK_MS = 10;

/**
 * Reads the feed, waiting up to `waitMs` for events when there are none yet: until a NOTIFY when nothing is
 * written, or a few milliseconds when committed events are only held back by an older running transaction.
 */
export async function readFeedWaiting(
  db: Kysely<any>,
  outbox: OutboxSignal,
  cursor: string,
  options: { limit: number; waitMs: number; signal?: AbortSignal },
): Promise<FeedEvent[]> {
  const deadline = Date.now() + options.waitMs;
  // Once per request, not per re-read: the cursor stays the same while this waits.
  await requireCursorOfThisDatabase(db, parseCursor(cursor)!.transactionId);
  for (;;) {
    // A NOTIFY that arrives while this reads must not be slept through.
    const seen = outbox.notifications;
    const events = await readFeed(db, cursor, options.limit);
    const left = deadline - Date.now();
    if (events.length > 0 || left <= 0 || options.signal?.aborted) return events;
    const held = await eventsHeldBack(db, cursor);
    await outbox.wait(held ? Math.min(left, HELD_BACK_RECHECK_MS) : left, options.signal, seen);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * `GET /events?after=<cursor>&limit=<n>&waitMs=<ms>`: this silo's outbox feed for the other silos' consumers.
 * It is internal: callers present the shared events secret as a bearer token, and the route answers 401 to
 * anyone else (the feed carries no patient data, but it is the network's whole activity).
 */
export function eventFeedRoute(db: Kysely<any>, outbox: OutboxSignal, secret: string, options: { loopbackOnly?: boolean } = {}) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/events') return false;
    if (request.method !== 'GET') {
      sendJson(response, 405, { error: 'Use GET.' });
      return true;
    }
    // Without a configured secret (development, on a generated one) the feed serves this machine only.
    if (options.loopbackOnly && !isLoopback(request.socket.remoteAddress)) {
      sendJson(response, 403, { error: 'Set EVENTS_SECRET to serve the events feed to other machines.' });
      return true;
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !sameSecret(token, secret)) {
      sendJson(response, 401, { error: 'The events feed needs the events secret as a bearer token.' });
      return true;
    }
    const after = url.searchParams.get('after') ?? FEED_START;
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const waitMs = Number(url.searchParams.get('waitMs') ?? 0);
    if (!parseCursor(after) || !Number.isInteger(limit) || limit < 1 || limit > MAX_FEED_BATCH || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_FEED_WAIT_MS) {
      sendJson(response, 400, { error: `Expected after=<cursor>, limit in 1..${MAX_FEED_BATCH}, waitMs in 0..${MAX_FEED_WAIT_MS}.` });
      return true;
    }
    // A consumer that gives up (or a replica shutting down) ends the wait at once.
    const gone = new AbortController();
    response.on('close', () => gone.abort());
    try {
      const events = await readFeedWaiting(db, outbox, after, { limit, waitMs, signal: gone.signal });
      if (!response.destroyed) sendJson(response, 200, { events });
    } catch (error) {
      if (!(error instanceof CursorAheadOfFeed)) throw error;
      sendJson(response, 409, { error: error.message });
    }
    return true;
  };
}

/** Where a consumer reads its events from. */
export interface FeedSource {
  readonly name: string;
  read(after: string, options: { limit: number; waitMs: number; signal: AbortSignal }): Promise<FeedEvent[]>;
}

/** Another silo's feed, over HTTP. */
export function httpFeedSource(name: string, feedUrl: string, secret: string): FeedSource {
  return {
    name,
    async read(after, { limit, waitMs, signal }) {
      const url = new URL(feedUrl);
      url.searchParams.set('after', after);
      url.searchParams.set('limit', String(limit));
      url.searchParams.set('waitMs', String(waitMs));
      // The producer answers within waitMs; a connection that hangs past that is dead.
      const timeout = AbortSignal.timeout(waitMs + 15_000);
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${secret}` },
        signal: AbortSignal.any([signal, timeout]),
      });
      if (!response.ok) throw new Error(`The ${name} feed answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      const body = (await response.json()) as { events?: unknown };
      if (!Array.isArray(body.events)) throw new Error(`The ${name} feed answered without an events list.`);
      return body.events as FeedEvent[];
    },
  };
}
