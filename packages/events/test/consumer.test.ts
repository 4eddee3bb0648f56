import { openDatabase } from '@medport/database';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEED_START, publishEvent, retryParkedEvent, type EventHandlers, type FeedSource, type RunningConsumer } from '../src/index.js';
import {
  caughtUp,
  consume,
  consumerRow,
  definition,
  effects,
  emptyTables,
  openPostgresSilo,
  publish,
  recordEffect,
  recordingHandlers,
  recordingLogger,
  serveFeed,
  type ConsumerTables,
  type FeedServer,
  type Silo,
} from './support.js';

const labels = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe('a consumer of another silo’s feed (PostgreSQL)', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  const running: RunningConsumer[] = [];
  const extra: Silo[] = [];

  beforeAll(async () => {
    [producer, consumer] = await Promise.all([openPostgresSilo('hospital'), openPostgresSilo('ems')]);
    feed = await serveFeed(producer);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(extra.splice(0).map((silo) => silo.handle.close()));
    await emptyTables(producer, consumer);
  });

  afterAll(async () => {
    try {
      await feed?.close();
    } finally {
      await Promise.all([producer?.close(), consumer?.close()]);
    }
  });

  it('hands consecutive events of a type with a batch handler over together, keeping the order of the feed', async () => {
    const runs: string[][] = [];
    const batched = {
      ...definition({
        TripOffered: (trx, event) => recordEffect(trx, event),
        TripResponded: (trx, event) => recordEffect(trx, event),
      }),
      batchHandlers: {
        TripOffered: async (trx: any, events: any[]) => {
          runs.push(events.map((event) => event.payload.tripId));
          for (const event of events) await recordEffect(trx, event);
        },
      },
    };
    await producer.db.transaction().execute(async (trx) => {
      await publishEvent(trx, 'TripOffered', 'a1', { tripId: 'a1', hospitalId: 'h', agencyIds: [], offeredAt: new Date(0).toISOString() });
      await publishEvent(trx, 'TripOffered', 'a2', { tripId: 'a2', hospitalId: 'h', agencyIds: [], offeredAt: new Date(0).toISOString() });
      await publishEvent(trx, 'TripResponded', 'b', { tripId: 'b', agencyId: 'x', decision: 'DECLINED', etaMinutes: null, declineReason: 'busy', respondedAt: new Date(0).toISOString() });
      await publishEvent(trx, 'TripOffered', 'a3', { tripId: 'a3', hospitalId: 'h', agencyIds: [], offeredAt: new Date(0).toISOString() });
    });
    running.push(consume(consumer, { feed: feed.source(), definition: batched }));
    await caughtUp(producer, consumer);
    expect(runs).toEqual([['a1', 'a2'], ['a3']]);
    expect((await effects(consumer.db)).map((effect) => effect.label)).toEqual(['a1', 'a2', 'b', 'a3']);
  });

  it('changes nothing when its cursor is reset to the start and the whole feed is delivered again', async () => {
    let running1 = consume(consumer, { feed: feed.source(), batchSize: 7 });
    running.push(running1);
    for (let transaction = 0; transaction < 5; transaction++) await publish(producer.db, labels(`t${transaction}-`, 6));
    await caughtUp(producer, consumer);
    const before = await effects(consumer.db);
    const countsBefore = await consumerRow(consumer.db);
    expect(before).toHaveLength(30);

    await running1.stop();
    await consumer.db.updateTable('event_consumers').set({ cursor: FEED_START }).where('name', '=', 'ems.from-hospital').execute();
    // A source that reports every event it delivers, to show that the replay really happened.
    const delivered: string[] = [];
    const source = feed.source();
    const counting: FeedSource = {
      name: source.name,
      read: async (after, options) => {
        const events = await source.read(after, options);
        delivered.push(...events.map((event) => event.id));
        return events;
      },
    };
    running1 = consume(consumer, { feed: counting, batchSize: 7 });
    running.push(running1);
    await caughtUp(producer, consumer);

    expect(delivered).toHaveLength(30);
    expect(await effects(consumer.db)).toEqual(before);
    expect((await consumerRow(consumer.db))?.applied_count).toBe(countsBefore?.applied_count);
  });

  it('applies each event once when the feed delivers every event twice, in the same batch and in the next', async () => {
    const source = feed.source();
    let previous: Awaited<ReturnType<FeedSource['read']>> = [];
    // Every event comes twice in a row, and each batch again repeats the batch before it.
    const stuttering: FeedSource = {
      name: source.name,
      read: async (after, options) => {
        const events = await source.read(after, options);
        if (events.length === 0) return events;
        const batch = [...previous, ...events.flatMap((event) => [event, event])];
        previous = events;
        return batch;
      },
    };
    running.push(consume(consumer, { feed: stuttering, batchSize: 4 }));
    const ids = [...(await publish(producer.db, labels('a', 5))), ...(await publish(producer.db, labels('b', 5)))];
    await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied.map((row) => row.event_id)).toEqual(ids);
    expect((await consumerRow(consumer.db))?.applied_count).toBe(10);
  });

  it('parks an event its handler keeps refusing, applies the events behind it, and applies it once when a retry succeeds', async () => {
    let refusals = 0;
    const refusing: EventHandlers<ConsumerTables> = {
      ...recordingHandlers(),
      TripResponded: async () => {
        refusals += 1;
        throw new Error('cannot apply TripResponded yet');
      },
    };
    const logger = recordingLogger();
    running.push(consume(consumer, { feed: feed.source(), definition: definition(refusing), logger }));

    const [before] = await publish(producer.db, ['before']);
    const poisonId = await producer.db.transaction().execute((trx) =>
      publishEvent(trx, 'TripResponded', 'trip-x', {
        tripId: 'trip-x',
        agencyId: 'agency-1',
        decision: 'ACCEPTED',
        etaMinutes: 12,
        declineReason: null,
        respondedAt: new Date(0).toISOString(),
      }),
    );
    const behind = await publish(producer.db, ['after0', 'after1', 'after2']);
    await caughtUp(producer, consumer);

    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([before, ...behind]);
    const parked = await consumer.db.selectFrom('parked_events').selectAll().execute();
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      consumer: 'ems.from-hospital',
      event_id: poisonId,
      event_type: 'TripResponded',
      attempts: 3,
      resolved_at: null,
    });
    expect(parked[0]!.error).toContain('cannot apply TripResponded yet');
    expect(parked[0]!.event).toMatchObject({ id: poisonId, type: 'TripResponded', payload: { tripId: 'trip-x' } });
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 1, applied_count: 4 });
    expect(logger.entries.filter((entry) => entry.message === 'event parked after its retries')).toHaveLength(1);
    expect(refusals).toBeGreaterThanOrEqual(3);

    // A retry while the handler still fails keeps it parked, with one more attempt and the new error.
    const stillRefusing = definition({
      ...recordingHandlers(),
      TripResponded: async () => {
        throw new Error('still broken');
      },
    });
    const stillParked = await retryParkedEvent(consumer.db, [stillRefusing], parked[0]!.id);
    expect(stillParked).toMatchObject({ attempts: 4, resolved_at: null });
    expect(stillParked.error).toContain('still broken');

    // A retry with the fixed handler applies it and resolves it; a second retry of the resolved event does nothing.
    const fixed = definition({ ...recordingHandlers(), TripResponded: (trx, event) => recordEffect(trx, event, 'retry') });
    const resolved = await retryParkedEvent(consumer.db, [fixed], parked[0]!.id);
    expect(resolved.attempts).toBe(5);
    expect(resolved.resolved_at).toBeInstanceOf(Date);
    const again = await retryParkedEvent(consumer.db, [fixed], parked[0]!.id);
    expect(again.resolved_at).toEqual(resolved.resolved_at);
    const poisonEffects = (await effects(consumer.db)).filter((row) => row.event_id === poisonId);
    expect(poisonEffects).toEqual([expect.objectContaining({ label: 'trip-x', replica: 'retry' })]);
    const inbox = await consumer.db.selectFrom('consumed_events').select('event_id').where('event_id', '=', poisonId).execute();
    expect(inbox).toHaveLength(1);

    // Replayed from the start (the way the center rebuilds its analytics) while its handler refuses it again, the
    // resolved event is parked again with the new failure, not passed over as parked already.
    await consumer.db.deleteFrom('consumed_events').where('event_id', '=', poisonId).execute();
    await consumer.db.updateTable('event_consumers').set({ cursor: FEED_START }).where('name', '=', 'ems.from-hospital').execute();
    await caughtUp(producer, consumer);
    const [parkedAgain] = await consumer.db.selectFrom('parked_events').selectAll().where('event_id', '=', poisonId).execute();
    expect(parkedAgain).toMatchObject({ resolved_at: null, attempts: 3 });
    expect(parkedAgain!.error).toContain('cannot apply TripResponded yet');
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 2 });
  });

  it('keeps a parked event parked, counting each failed retry, when retries of it run at the same time', async () => {
    const refusing = definition({
      ...recordingHandlers(),
      TripOffered: async (trx, event) => {
        if ((event.payload as { tripId: string }).tripId === 'poison') throw new Error('refused');
        await recordEffect(trx, event);
      },
    });
    running.push(consume(consumer, { feed: feed.source(), definition: refusing }));
    await publish(producer.db, ['poison', 'fine']);
    await caughtUp(producer, consumer);
    const [parked] = await consumer.db.selectFrom('parked_events').selectAll().execute();
    expect(parked?.attempts).toBe(3);

    await Promise.all(Array.from({ length: 4 }, () => retryParkedEvent(consumer.db, [refusing], parked!.id)));
    const after = await consumer.db.selectFrom('parked_events').selectAll().where('id', '=', parked!.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ attempts: 7, resolved_at: null });
  });

  it('applies every event exactly once with two replicas of the consumer on the same database', async () => {
    const second = openSecondHandle(consumer);
    extra.push(second);
    running.push(consume(consumer, { feed: feed.source(), definition: definition(recordingHandlers('one')), batchSize: 10 }));
    running.push(consume(second, { feed: feed.source(), definition: definition(recordingHandlers('two')), batchSize: 10 }));

    await Promise.all(
      Array.from({ length: 10 }, async (_, writer) => {
        for (let transaction = 0; transaction < 10; transaction++) await publish(producer.db, labels(`${writer}:${transaction}:`, 5));
      }),
    );

    const feedOrder = await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied).toHaveLength(500);
    expect(new Set(applied.map((row) => row.event_id)).size).toBe(500);
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect((await consumerRow(consumer.db))?.applied_count).toBe(500);
  });
});

/** Another connection pool to the same consumer database, as a second replica of the silo would have. */
function openSecondHandle(silo: Silo): Silo {
  const handle = openDatabase<ConsumerTables>({ name: 'ems-replica', url: silo.url! });
  return { handle, db: handle.db, databaseName: silo.databaseName, url: silo.url, close: () => handle.close() };
}
