import { label } from '@medport/database';
import type { EventType } from '@medport/domain';
import { newId } from '@medport/domain';
import { sql, type Kysely, type Transaction } from 'kysely';
import { FEED_START, type FeedEvent, type TypedEvent } from './envelope.js';
import type { FeedSource } from './feed.js';
import type { EventsDatabase } from './tables.js';

export type Silo = 'hospital' | 'ems' | 'center';

/** What a consumer does with each type of event it cares about; other types pass by untouched. */
export type EventHandlers<DB> = {
  [T in EventType]?: (trx: Transaction<DB>, event: TypedEvent<T>) => Promise<void>;
};

/** Handlers that apply every event of one type in a run of a batch at once, set-wise. */
export type BatchHandlers<DB> = {
  [T in EventType]?: (trx: Transaction<DB>, events: TypedEvent<T>[]) => Promise<void>;
};

/** A consumer of one producer's feed, declared by the silo that consumes. */
export interface ConsumerDefinition<DB> {
  /** Unique within the consuming silo, e.g. `ems.from-hospital`. */
  name: string;
  source: Silo;
  /** One handler per event type it applies (also what a parked event's retry uses). */
  handlers: EventHandlers<DB>;
  /**
   * For types that arrive in bulk (a backlog after an outage): consecutive events of such a type in one batch go to
   * this handler together, which must have the same effect as the single-event handler applied to each in turn.
   */
  batchHandlers?: BatchHandlers<DB>;
  /**
   * Runs in the transaction after the handlers of a batch (or of a retried parked event), before it commits: a
   * consumer whose events add to shared sums can collect them and write each sum once per batch.
   */
  afterBatch?: (trx: Transaction<DB>) => Promise<void>;
  /**
   * Consumers of one silo that change the same rows name the same turn: they apply their batches one at a time,
   * so neither can hold a row the other waits for (two batches locking rows in different orders deadlock). The
   * turn is taken first in the transaction, before it writes anything: a consumer waiting for its turn holds back
   * no feed (feeds wait for running transactions that write).
   */
  turn?: string;
}

export interface RetryPolicy {
  /** Attempts before an event is parked. */
  maxAttempts: number;
  /** Delay after the first failure; doubled after each next one, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

interface ConsumerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ConsumerOptions<DB> {
  definition: ConsumerDefinition<DB>;
  db: Kysely<DB>;
  feed: FeedSource;
  /** Answers when this silo's database does: a failure while it does not is an outage, not the event's fault. */
  ping: () => Promise<void>;
  logger: ConsumerLogger;
  retry?: RetryPolicy;
  /** Events per feed read and per transaction. Small enough that a batch holds no transaction open for long (the feeds of the same server wait for it). */
  batchSize?: number;
  /** How long one feed read waits for new events before the consumer asks again (the safety-net poll). */
  waitMs?: number;
  /**
   * Runs inside the transaction that applies events, after their handlers and before they are recorded as
   * applied. A test that kills the process here proves that a crash between the two loses and repeats nothing.
   */
  beforeAcknowledge?: (events: readonly FeedEvent[]) => void | Promise<void>;
}

export interface RunningConsumer {
  readonly name: string;
  /** Finishes the transaction in flight and stops reading. */
  stop(): Promise<void>;
}

function backoff(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2_000);
}

const CONNECTION_ERROR_CODES = new Set(['53300', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * Whether a failure was the connection's, not the statement's: the server ended the session or the socket closed.
 * That is an outage even when the database answers again by the time it is pinged (a cut connection, a quick
 * restart), so it never counts as one of the event's attempts.
 */
function lostConnection(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_ERROR_CODES.has(code))) return true;
  // A database that refuses new sessions for a while (an operator closed it) fails the connection, not the event.
  return error instanceof Error && /^Connection terminated|not queryable|is not currently accepting connections/.test(error.message);
}

type Outcome = 'applied' | 'moved' | 'stopped';

/**
 * Locks the consumer's row until the transaction ends and says whether its cursor is still `expectedCursor`. The
 * lock makes replicas of this silo take turns; a moved cursor makes the loser re-read the feed.
 */
async function holdsCursor(tables: Transaction<EventsDatabase>, name: string, expectedCursor: string): Promise<boolean> {
  const consumer = await tables
    .selectFrom('event_consumers')
    .select('cursor')
    .where('name', '=', name)
    .forUpdate()
    .modifyEnd(label('lockEventConsumer'))
    .executeTakeFirstOrThrow();
  return consumer.cursor === expectedCursor;
}

/** Waits until no other transaction holds `turn`, and holds it until this one ends. */
export async function takeTurn(trx: Transaction<any>, turn: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${turn})) ${label('takeConsumerTurn')}`.execute(trx);
}

/** Applies `events` and advances the cursor in one transaction; 'moved' when another replica advanced it first. */
async function applyEvents<DB>(
  options: ConsumerOptions<DB>,
  events: readonly FeedEvent[],
  expectedCursor: string,
): Promise<'applied' | 'moved'> {
  const { definition } = options;
  return options.db.transaction().execute(async (trx) => {
    const tables = trx as unknown as Transaction<EventsDatabase>;
    if (definition.turn) await takeTurn(trx, definition.turn);
    if (!(await holdsCursor(tables, definition.name, expectedCursor))) return 'moved';
    const handled = events.filter((event) => definition.handlers[event.type as EventType]);
    let applied = 0;
    if (handled.length > 0) {
      // The inbox: an event applied before (a redelivery, a replayed feed) is already here and is skipped.
      const fresh = await tables
        .insertInto('consumed_events')
        .values(handled.map((event) => ({ consumer: definition.name, event_id: event.id })))
        .onConflict((conflict) => conflict.doNothing())
        .returning('event_id')
        .modifyEnd(label('recordConsumedEvents'))
        .execute();
      const freshIds = new Set(fresh.map((row) => row.event_id));
      // Taken out once kept: a batch that carries the same event twice (an at-least-once source may) applies it once.
      const toApply = handled.filter((event) => freshIds.delete(event.id));
      // Consecutive events of a type with a batch handler go together; the order of the feed is kept.
      for (let start = 0; start < toApply.length; ) {
        const type = toApply[start]!.type as EventType;
        const batchHandler = definition.batchHandlers?.[type] as ((trx: Transaction<DB>, events: FeedEvent[]) => Promise<void>) | undefined;
        let end = start + 1;
        while (batchHandler && end < toApply.length && toApply[end]!.type === type) end += 1;
        const run = toApply.slice(start, end);
        if (batchHandler) await batchHandler(trx, run);
        else await (definition.handlers[type] as (trx: Transaction<DB>, event: FeedEvent) => Promise<void>)(trx, run[0]!);
        applied += run.length;
        start = end;
      }
      if (applied > 0) await definition.afterBatch?.(trx);
    }
    await options.beforeAcknowledge?.(events);
    await tables
      .updateTable('event_consumers')
      .set({
        cursor: events[events.length - 1]!.cursor,
        applied_count: sql`applied_count + ${applied}`,
        last_error: null,
        last_error_at: null,
        updated_at: new Date(),
      })
      .where('name', '=', definition.name)
      .modifyEnd(label('advanceEventConsumer'))
      .execute();
    return 'applied';
  });
}

/** Sets an event aside with its error and moves the cursor past it, so the events behind it flow again. */
async function parkEvent<DB>(options: ConsumerOptions<DB>, event: FeedEvent, expectedCursor: string, error: string, attempts: number) {
  const { definition } = options;
  return options.db.transaction().execute(async (trx): Promise<'applied' | 'moved'> => {
    const tables = trx as unknown as Transaction<EventsDatabase>;
    if (!(await holdsCursor(tables, definition.name, expectedCursor))) return 'moved';
    const now = new Date();
    const parked = await tables
      .insertInto('parked_events')
      .values({
        id: newId(),
        consumer: definition.name,
        event_id: event.id,
        event_type: event.type,
        event: JSON.stringify(event),
        error,
        attempts,
        parked_at: now,
        last_attempt_at: now,
      })
      // A replayed feed parks an event that is already waiting only once; one a retry resolved before and that
      // fails again waits again, with its new error.
      .onConflict((conflict) =>
        conflict
          .columns(['consumer', 'event_id'])
          .doUpdateSet({ error, attempts, last_attempt_at: now, resolved_at: null })
          .where('parked_events.resolved_at', 'is not', null),
      )
      .returning('id')
      .modifyEnd(label('parkEvent'))
      .executeTakeFirst();
    const newlyParked = parked ? 1 : 0;
    await tables
      .updateTable('event_consumers')
      .set({ cursor: event.cursor, parked_count: sql`parked_count + ${newlyParked}`, last_error: error, last_error_at: now, updated_at: now })
      .where('name', '=', definition.name)
      .modifyEnd(label('advanceEventConsumer'))
      .execute();
    return 'applied';
  });
}

/**
 * Starts a consumer: it reads its producer's feed from its stored cursor and applies each event in a transaction
 * with the event's inbox row and the new cursor, so every event takes effect exactly once however often it is
 * delivered. While all is well it applies a whole batch per transaction; when a batch fails it goes one event at a
 * time, retries the failing one with capped exponential backoff and parks it after `maxAttempts`. While its own
 * database or the producer is unreachable it waits and retries without counting attempts: an outage is not the
 * event's fault, and nothing is parked or lost because of it.
 */
export function startConsumer<DB>(options: ConsumerOptions<DB>): RunningConsumer {
  const { definition, logger } = options;
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const batchSize = options.batchSize ?? 50;
  const waitMs = options.waitMs ?? 10_000;
  const stopping = new AbortController();
  const log = { consumer: definition.name, source: definition.source };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });
  /** The wait after the n-th failure of an outage (database or feed away): backoff capped at max(retry cap, 5 s). */
  const outageDelay = (failures: number) => backoff({ ...retry, maxDelayMs: Math.max(retry.maxDelayMs, 5_000) }, failures);
  const reachable = () => options.ping().then(
    () => true,
    () => false,
  );

  /** Retries `work` until it succeeds or the consumer stops, waiting longer after each failure (an outage). */
  const untilItWorks = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    for (let failures = 0; !stopping.signal.aborted; failures += 1) {
      try {
        return await work();
      } catch (error) {
        if (stopping.signal.aborted) return undefined;
        if (failures === 0) logger.warn({ ...log, error: describe(error) }, `${what} failed; retrying until it works`);
        await sleep(outageDelay(failures + 1));
      }
    }
    return undefined;
  };

  const readStoredCursor = async () => {
    const row = await (options.db as unknown as Kysely<EventsDatabase>)
      .selectFrom('event_consumers')
      .select('cursor')
      .where('name', '=', definition.name)
      .modifyEnd(label('readEventCursor'))
      .executeTakeFirstOrThrow();
    return row.cursor;
  };
  const registered = () =>
    untilItWorks('registering the consumer', async () => {
      await (options.db as unknown as Kysely<EventsDatabase>)
        .insertInto('event_consumers')
        .values({ name: definition.name, source: definition.source, cursor: FEED_START })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .modifyEnd(label('registerEventConsumer'))
        .execute();
      return readStoredCursor();
    });
  /** The cursor as stored now (another replica or an operator may have moved it); the consumer row exists. */
  const storedCursor = () => untilItWorks('reading the stored cursor', readStoredCursor);

  const recordFailure = async (error: string) => {
    const tables = options.db as unknown as Kysely<EventsDatabase>;
    await tables
      .updateTable('event_consumers')
      .set({ last_error: error, last_error_at: new Date() })
      .where('name', '=', definition.name)
      .modifyEnd(label('recordEventConsumerError'))
      .execute()
      .catch(() => {});
  };

  /** One event at a time, with retries and parking. */
  const deliverOne = async (event: FeedEvent, expectedCursor: string): Promise<Outcome> => {
    let attempts = 0;
    let outages = 0;
    let lastError = 'failed';
    while (!stopping.signal.aborted) {
      try {
        if (attempts >= retry.maxAttempts) {
          logger.error({ ...log, eventId: event.id, type: event.type, attempts, error: lastError }, 'event parked after its retries');
          return await parkEvent(options, event, expectedCursor, lastError, attempts);
        }
        return await applyEvents(options, [event], expectedCursor);
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (lostConnection(error) || !(await reachable())) {
          outages += 1;
          if (outages === 1) logger.warn({ ...log, error: describe(error) }, 'database unreachable; waiting for it');
          await sleep(outageDelay(outages));
          continue;
        }
        outages = 0;
        attempts += 1;
        lastError = describe(error);
        await recordFailure(lastError);
        logger.warn({ ...log, eventId: event.id, type: event.type, attempt: attempts, error: describe(error) }, 'event failed');
        if (attempts < retry.maxAttempts) await sleep(backoff(retry, attempts));
      }
    }
    return 'stopped';
  };

  const loop = async () => {
    let cursor = await registered();
    let feedFailures = 0;
    while (cursor !== undefined && !stopping.signal.aborted) {
      let events: FeedEvent[];
      try {
        events = await options.feed.read(cursor, { limit: batchSize, waitMs, signal: stopping.signal });
        if (feedFailures > 0) logger.info(log, 'feed reachable again');
        feedFailures = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        feedFailures += 1;
        if (feedFailures === 1) {
          logger.warn({ ...log, error: describe(error) }, 'feed unreachable; retrying until it answers');
          // Operators see why a consumer stands still in its lastError (a silo down, a refused cursor).
          await recordFailure(describe(error));
        }
        await sleep(outageDelay(feedFailures));
        continue;
      }
      if (events.length === 0) {
        // A quiet feed is the moment to pick up a cursor moved by someone else: another replica, or an operator
        // who set it back to replay the feed.
        cursor = await storedCursor();
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = await applyEvents(options, events, cursor);
      } catch {
        // Some event of the batch failed, or the database went away: find out which, one event at a time.
        outcome = 'applied';
        for (const event of events) {
          outcome = await deliverOne(event, cursor);
          if (outcome !== 'applied') break;
          cursor = event.cursor;
        }
      }
      if (outcome === 'applied') cursor = events[events.length - 1]!.cursor;
      if (outcome === 'moved') cursor = await storedCursor();
    }
  };

  // A fault nobody foresaw must not end the consumer for good: it starts over from its stored cursor.
  const running = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await loop();
      } catch (error) {
        logger.error({ ...log, error: describe(error) }, 'consumer failed unexpectedly; starting over from its stored cursor');
        await sleep(5_000);
      }
    }
  })();
  return {
    name: definition.name,
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
