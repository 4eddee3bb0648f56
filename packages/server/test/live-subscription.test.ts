import { openDatabase, type DatabaseHandle } from '@medport/database';
import type { EventContracts, EventType } from '@medport/domain';
import {
  compareCursors,
  createEventTables,
  LiveEvents,
  OUTBOX_CHANNEL,
  OutboxSignal,
  publishEvent,
  type EventsDatabase,
  type FeedEvent,
} from '@medport/events';
import { QueueOverflow } from '@medport/graphql';
import { createTestDatabase, type TestDatabase } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { liveSubscription, type LiveDelivery } from '../src/subscriptions.js';

const offered = (tripId: string): EventContracts['TripOffered'] => ({ tripId, hospitalId: 'h', agencyIds: [], offeredAt: new Date(0).toISOString() });
const responded = (tripId: string): EventContracts['TripResponded'] => ({
  tripId,
  agencyId: 'a',
  decision: 'DECLINED',
  etaMinutes: null,
  declineReason: null,
  respondedAt: new Date(0).toISOString(),
});

const tripIdOf = (event: FeedEvent) => (event.payload as { tripId: string }).tripId;

/** Resolves with `check`'s first truthy answer; fails when none comes within `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `promise` has settled after the pending microtasks and one macrotask turn. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

/** The private reader of a LiveEvents (white box: the class exposes listenerCount only). */
function readerOf(live: LiveEvents): { done: Promise<void> } | null {
  return (live as unknown as { reader: { done: Promise<void> } | null }).reader;
}

describe('liveSubscription over a silo’s live events (real database)', () => {
  let test: TestDatabase;
  let database: DatabaseHandle<EventsDatabase>;
  let signal: OutboxSignal;
  let stopListening: () => Promise<void>;
  let live: LiveEvents;
  const warnings: object[] = [];
  const open: AsyncIterableIterator<unknown>[] = [];

  /** Publishes one event in its own transaction; returns its feed cursor. */
  async function publish<T extends EventType>(type: T, tripId: string, payload: EventContracts[T]): Promise<string> {
    const id = await database.db.transaction().execute((trx) => publishEvent(trx, type, tripId, payload));
    const result = await sql<{ cursor: string }>`
      select transaction_id::text || ':' || position::text as cursor from outbox_events where id = ${id}`.execute(database.db);
    return result.rows[0]!.cursor;
  }

  async function subscribe<T>(types: readonly EventType[], toValues: (event: FeedEvent) => Promise<readonly T[]> | readonly T[], maxQueued?: number) {
    const iterator = await liveSubscription(live, types, toValues, maxQueued);
    open.push(iterator);
    return iterator;
  }

  async function take<T>(iterator: AsyncIterableIterator<LiveDelivery<T>>, count: number): Promise<LiveDelivery<T>[]> {
    const deliveries: LiveDelivery<T>[] = [];
    while (deliveries.length < count) {
      const next = await iterator.next();
      if (next.done) throw new Error(`The subscription ended after ${deliveries.length} deliveries`);
      deliveries.push(next.value);
    }
    return deliveries;
  }

  beforeAll(async () => {
    test = await createTestDatabase('hospital');
    database = openDatabase<EventsDatabase>(test.url ? { name: 'hospital', url: test.url } : { name: 'hospital', dataDir: 'memory' });
    await createEventTables(database.db);
    signal = new OutboxSignal();
    stopListening = await database.listen(OUTBOX_CHANNEL, signal.notify);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((iterator) => iterator.return?.()));
    await live?.close();
    await sql`truncate outbox_events`.execute(database.db);
    expect(warnings.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    try {
      await stopListening?.();
      await database?.close();
    } finally {
      await test?.drop();
    }
  });

  const newLive = () => (live = new LiveEvents(database.db, signal, { warn: (details) => void warnings.push(details) }));

  it('delivers only the events of the listed types, never handing the others to toValues', async () => {
    newLive();
    const seen: string[] = [];
    const subscription = await subscribe(['TripOffered'], (event) => {
      seen.push(`${event.type}:${tripIdOf(event)}`);
      return [tripIdOf(event)];
    });
    expect(live.listenerCount).toBe(1);

    const o1 = await publish('TripOffered', 'o1', offered('o1'));
    await publish('TripResponded', 'r1', responded('r1'));
    const o2 = await publish('TripOffered', 'o2', offered('o2'));
    await publish('TripResponded', 'r2', responded('r2'));
    const o3 = await publish('TripOffered', 'o3', offered('o3'));

    const deliveries = await take(subscription, 3);
    expect(deliveries).toEqual([
      { cursor: `${o1}:0`, value: 'o1' },
      { cursor: `${o2}:0`, value: 'o2' },
      { cursor: `${o3}:0`, value: 'o3' },
    ]);
    // o3 came after r2 in the feed: by now r1 and r2 went past, and toValues never saw them.
    expect(seen).toEqual(['TripOffered:o1', 'TripOffered:o2', 'TripOffered:o3']);
  });

  it('skips an event toValues returns no value for, and delivers each of several values with cursors ending :0, :1', async () => {
    newLive();
    let running = 0;
    let mostAtOnce = 0;
    const order: string[] = [];
    const subscription = await subscribe(['TripOffered', 'TripResponded'], async (event) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      order.push(tripIdOf(event));
      // toValues may read the database to decide (as the silos' subscriptions do).
      await sql`select pg_sleep(0.01)`.execute(database.db);
      running -= 1;
      const tripId = tripIdOf(event);
      if (tripId === 'skip') return [];
      if (tripId === 'two') return [`${tripId}#first`, `${tripId}#second`];
      return [tripId];
    });

    await publish('TripOffered', 'skip', offered('skip'));
    const two = await publish('TripResponded', 'two', responded('two'));
    const one = await publish('TripOffered', 'one', offered('one'));

    const deliveries = await take(subscription, 3);
    expect(deliveries).toEqual([
      { cursor: `${two}:0`, value: 'two#first' },
      { cursor: `${two}:1`, value: 'two#second' },
      { cursor: `${one}:0`, value: 'one' },
    ]);
    for (const delivery of deliveries) expect(delivery.cursor).toMatch(/^\d+:\d+:\d+$/);
    // The deliveries of one event are told apart and ordered by their index (a consumer deduplicating by cursor keeps both).
    expect(compareCursors(deliveries[0]!.cursor, deliveries[1]!.cursor)).toBeLessThan(0);
    expect(compareCursors(deliveries[1]!.cursor, deliveries[2]!.cursor)).toBeLessThan(0);
    expect(compareCursors(deliveries[1]!.cursor, deliveries[1]!.cursor)).toBe(0);
    expect([...deliveries].reverse().sort((a, b) => compareCursors(a.cursor, b.cursor))).toEqual(deliveries);
    expect(order).toEqual(['skip', 'two', 'one']);
    // Events are handled one at a time, in feed order.
    expect(mostAtOnce).toBe(1);
  });

  it('return() while next() waits ends it with done at once and stops listening (listenerCount 0, reader stopped)', async () => {
    newLive();
    const handed: string[] = [];
    const subscription = await subscribe(['TripOffered'], (event) => {
      handed.push(tripIdOf(event));
      return [tripIdOf(event)];
    });
    expect(live.listenerCount).toBe(1);
    const reader = readerOf(live);

    const pending = subscription.next();
    expect(await settled(pending)).toBe(false);
    expect(await subscription.return!()).toEqual({ value: undefined, done: true });
    // No event was published: the pending read ended because the subscriber left, not at the next event.
    expect(await settled(pending)).toBe(true);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(live.listenerCount).toBe(0);
    expect(readerOf(live)).toBeNull();
    await reader!.done;

    await publish('TripOffered', 'late', offered('late'));
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
    expect(handed).toEqual([]);
  });

  it('a subscriber that falls maxQueued events behind stops listening and reads QueueOverflow', async () => {
    newLive();
    const subscription = await subscribe(['TripOffered'], (event) => [tripIdOf(event)], 2);
    for (const label of ['q1', 'q2', 'q3']) await publish('TripOffered', label, offered(label));
    // Nobody reads: the third event overflows the queue, which ends the subscription and unlistens.
    await waitFor('the overflowing subscription to stop listening', () => live.listenerCount === 0);
    const error = await subscription.next().then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(QueueOverflow);
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
  });
});
