import { openDatabase, type DatabaseHandle } from '@medport/database';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareCursors, LiveEvents, OUTBOX_CHANNEL, OutboxSignal, publishEvent, type FeedEvent } from '../src/index.js';
import {
  emptyTables,
  offered,
  openPostgresSilo,
  outboxInFeedOrder,
  publish,
  recordingLogger,
  waitFor,
  type ConsumerTables,
  type Silo,
} from './support.js';

/** What one listener received, in the order it received it. */
function recorder() {
  const events: FeedEvent[] = [];
  return {
    events,
    listener: (event: FeedEvent) => void events.push(event),
    labels: () => events.map((event) => (event.payload as { tripId: string }).tripId),
    ids: () => events.map((event) => event.id),
    has: (label: string) => events.some((event) => (event.payload as { tripId: string }).tripId === label),
  };
}

type Recorder = ReturnType<typeof recorder>;

/** Waits until every recorder received the event labelled `label` (a fence: the events before it came first). */
async function received(label: string, ...recorders: Recorder[]) {
  await waitFor(`every listener to receive ${label}`, () => recorders.every((r) => r.has(label)));
}

/** Waits until the feed can serve everything committed so far (no older transaction runs, here or in another test database). */
async function servable(db: Silo['db']) {
  await waitFor('the events committed so far to be servable', async () => {
    const result = await sql<{ held: boolean }>`
      select exists (select 1 from outbox_events where transaction_id >= pg_snapshot_xmin(pg_current_snapshot())) as held`.execute(db);
    return result.rows[0]?.held === false;
  });
}

/** The private reader of a LiveEvents, to see that its loop ended (white box: the class exposes listenerCount only). */
function readerOf(live: LiveEvents): { done: Promise<void> } | null {
  return (live as unknown as { reader: { done: Promise<void> } | null }).reader;
}

/** The rows of the outbox with these ids, in feed order (transaction, then position). */
async function feedIdsFrom(db: Silo['db'], ids: readonly string[]) {
  const wanted = new Set(ids);
  return (await outboxInFeedOrder(db)).filter((row) => wanted.has(row.id));
}

function expectIncreasingCursors(events: readonly FeedEvent[]) {
  for (let index = 1; index < events.length; index++) {
    expect(compareCursors(events[index - 1]!.cursor, events[index]!.cursor)).toBeLessThan(0);
  }
}

describe('compareCursors', () => {
  it('orders feed cursors by transaction id, then position, as numbers', () => {
    expect(compareCursors('9:5', '10:1')).toBeLessThan(0);
    expect(compareCursors('10:1', '9:5')).toBeGreaterThan(0);
    expect(compareCursors('99999:7', '100000:1')).toBeLessThan(0);
    expect(compareCursors('12:9', '12:10')).toBeLessThan(0);
    expect(compareCursors('12:10', '12:10')).toBe(0);
    expect(compareCursors('18446744073709551614:1', '18446744073709551615:1')).toBeLessThan(0);
  });

  it('orders delivery cursors (<transaction>:<position>:<index>), an event before its own deliveries', () => {
    expect(compareCursors('12:10:0', '12:10:1')).toBeLessThan(0);
    expect(compareCursors('12:10:1', '12:10:1')).toBe(0);
    expect(compareCursors('12:10:9', '12:11:0')).toBeLessThan(0);
    expect(compareCursors('12:10', '12:10:0')).toBeLessThan(0);
  });
});

describe('LiveEvents: the silo outbox for live subscriptions (PostgreSQL)', () => {
  let silo: Silo;
  let signal: OutboxSignal;
  let stopListening: () => Promise<void>;
  const logger = recordingLogger();
  const lives: LiveEvents[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /** A transaction held open by the test; rolled back after it if the test failed before ending it (it would block the cleanup's truncate). */
  const begin = async () => {
    const trx = await silo.db.startTransaction().execute();
    cleanups.push(async () => {
      if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute();
    });
    return trx;
  };

  const newLive = (db: Silo['db'] = silo.db, outbox: OutboxSignal = signal) => {
    const live = new LiveEvents(db, outbox, logger);
    lives.push(live);
    return live;
  };

  beforeAll(async () => {
    silo = await openPostgresSilo('hospital');
    signal = new OutboxSignal();
    stopListening = await silo.handle.listen(OUTBOX_CHANNEL, signal.notify);
  });

  afterEach(async () => {
    await Promise.all(lives.splice(0).map((live) => live.close()));
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await emptyTables(silo);
    // A reader that failed and retried could deliver twice; none may have.
    const warnings = logger.entries.splice(0);
    expect(warnings).toEqual([]);
  });

  afterAll(async () => {
    try {
      await stopListening?.();
    } finally {
      await silo?.close();
    }
  });

  it('delivers every event committed after listen resolves, once each and in feed order, to each of two listeners', async () => {
    const live = newLive();
    const first = recorder();
    const second = recorder();
    await live.listen(first.listener);
    await live.listen(second.listener);
    expect(live.listenerCount).toBe(2);

    const ids = [...(await publish(silo.db, ['a1', 'a2', 'a3'])), ...(await publish(silo.db, ['b1'])), ...(await publish(silo.db, ['c1', 'c2']))];
    // The last event is a fence: the ones before it were delivered first, so anything repeated or extra shows below.
    ids.push(...(await publish(silo.db, ['end'])));
    await received('end', first, second);

    const feed = await feedIdsFrom(silo.db, ids);
    expect(feed.map((row) => row.id)).toEqual(ids);
    for (const listener of [first, second]) {
      expect(listener.labels()).toEqual(['a1', 'a2', 'a3', 'b1', 'c1', 'c2', 'end']);
      expect(listener.ids()).toEqual(ids);
      expect(listener.events.map((event) => event.cursor)).toEqual(feed.map((row) => row.cursor));
      expectIncreasingCursors(listener.events);
    }
    expect(first.events[0]).toMatchObject({ type: 'TripOffered', aggregateId: 'a1', payload: offered('a1') });
  });

  it('does not deliver events committed (and servable) before listen resolved', async () => {
    await publish(silo.db, ['before1']);
    await publish(silo.db, ['before2']);
    // Committed and past every running transaction: the feed's end is after them when the listener arrives.
    await servable(silo.db);

    const live = newLive();
    const listener = recorder();
    await live.listen(listener.listener);
    await publish(silo.db, ['after']);
    await received('after', listener);
    expect(listener.labels()).toEqual(['after']);
  });

  it('delivers a transaction that began and wrote first but committed last, in feed (transaction) order, skipping nothing', async () => {
    const live = newLive();
    const listener = recorder();
    await live.listen(listener.listener);

    const a = await begin();
    const aIds = [await publishEvent(a, 'TripOffered', 'A1', offered('A1'))];
    const notificationsBefore = signal.notifications;
    const bIds = await publish(silo.db, ['B1', 'B2']);
    // B's commit was announced; its events wait behind A, which runs still and has the lower transaction id.
    await waitFor("B's NOTIFY", () => signal.notifications > notificationsBefore);
    expect(listener.labels()).toEqual([]);
    aIds.push(await publishEvent(a, 'TripOffered', 'A2', offered('A2')));
    await a.commit().execute();

    const fence = await publish(silo.db, ['end']);
    await received('end', listener);

    const all = [...aIds, ...bIds, ...fence];
    const feed = await feedIdsFrom(silo.db, all);
    // Feed order is transaction order: A (older transaction id) before B, though B committed first.
    expect(feed.map((row) => row.id)).toEqual(all);
    const [aTransaction, bTransaction] = [feed[0]!.cursor.split(':')[0]!, feed[2]!.cursor.split(':')[0]!];
    expect(BigInt(aTransaction) < BigInt(bTransaction)).toBe(true);
    expect(listener.labels()).toEqual(['A1', 'A2', 'B1', 'B2', 'end']);
    expect(listener.ids()).toEqual(all);
    expect(listener.events.map((event) => event.cursor)).toEqual(feed.map((row) => row.cursor));
    expectIncreasingCursors(listener.events);
  });

  it('delivers a transaction that wrote before listen resolved and commits after it, with what committed behind it', async () => {
    const running = await begin();
    const runningIds = [await publishEvent(running, 'TripOffered', 'early-writer', offered('early-writer'))];
    // Committed before listen, but with a later transaction id than the one still running: it waits behind it.
    const behindIds = await publish(silo.db, ['committed-behind']);
    const live = newLive();
    const listener = recorder();
    await live.listen(listener.listener);
    await running.commit().execute();
    const fence = await publish(silo.db, ['end']);
    await received('end', listener);

    const all = [...runningIds, ...behindIds, ...fence];
    const feed = await feedIdsFrom(silo.db, all);
    expect(feed.map((row) => row.id)).toEqual(all);
    // The feed's end when listen resolved was before the running transaction, so nothing of it (or after it) is lost.
    expect(listener.labels()).toEqual(['early-writer', 'committed-behind', 'end']);
    expect(listener.events.map((event) => event.cursor)).toEqual(feed.map((row) => row.cursor));
  });

  it('stops delivering to a listener that left, stops its reader when the last one leaves, and starts again for a new listener', async () => {
    const live = newLive();
    const first = recorder();
    const second = recorder();
    const unlistenFirst = await live.listen(first.listener);
    const unlistenSecond = await live.listen(second.listener);
    await publish(silo.db, ['e1']);
    await received('e1', first, second);

    unlistenFirst();
    expect(live.listenerCount).toBe(1);
    await publish(silo.db, ['e2']);
    await received('e2', second);
    // Listeners are called one after the other for each event: had the first still listened, it would have e2 now.
    expect(first.labels()).toEqual(['e1']);
    expect(second.labels()).toEqual(['e1', 'e2']);

    const reader = readerOf(live);
    expect(reader).not.toBeNull();
    unlistenSecond();
    expect(live.listenerCount).toBe(0);
    expect(readerOf(live)).toBeNull();
    // The reader's loop ends (it was waiting for a NOTIFY; leaving wakes it).
    await reader!.done;

    await publish(silo.db, ['unheard']);
    await servable(silo.db);
    const third = recorder();
    const unlistenThird = await live.listen(third.listener);
    expect(live.listenerCount).toBe(1);
    await publish(silo.db, ['e3']);
    await received('e3', third);
    expect(third.labels()).toEqual(['e3']);
    expect(first.labels()).toEqual(['e1']);
    expect(second.labels()).toEqual(['e1', 'e2']);
    unlistenThird();
    expect(live.listenerCount).toBe(0);
  });

  it('delivers every event once on each of two replicas (two connections to the same database), whichever replica wrote it', async () => {
    const replica: DatabaseHandle<ConsumerTables> = openDatabase<ConsumerTables>({ name: 'hospital-replica', url: silo.url, maxConnections: 5 });
    const replicaSignal = new OutboxSignal();
    const stopReplicaListening = await replica.listen(OUTBOX_CHANNEL, replicaSignal.notify);
    cleanups.push(async () => {
      await stopReplicaListening();
      await replica.close();
    });
    const liveOne = newLive(silo.db, signal);
    const liveTwo = newLive(replica.db, replicaSignal);
    const one = recorder();
    const two = recorder();
    await liveOne.listen(one.listener);
    await liveTwo.listen(two.listener);

    const ids = [
      ...(await publish(silo.db, ['r1-a', 'r1-b'])),
      ...(await publish(replica.db, ['r2-a'])),
      ...(await publish(silo.db, ['r1-c'])),
      ...(await publish(replica.db, ['r2-b', 'r2-c'])),
    ];
    ids.push(...(await publish(replica.db, ['end'])));
    await received('end', one, two);

    const feed = await feedIdsFrom(silo.db, ids);
    expect(feed.map((row) => row.id)).toEqual(ids);
    for (const listener of [one, two]) {
      expect(listener.labels()).toEqual(['r1-a', 'r1-b', 'r2-a', 'r1-c', 'r2-b', 'r2-c', 'end']);
      expect(listener.ids()).toEqual(ids);
      expect(listener.events.map((event) => event.cursor)).toEqual(feed.map((row) => row.cursor));
    }
  });
});
