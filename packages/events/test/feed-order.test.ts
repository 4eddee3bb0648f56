import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEED_START, publishEvent, type RunningConsumer } from '../src/index.js';
import {
  caughtUp,
  consume,
  consumerRow,
  effects,
  emptyTables,
  offered,
  openPostgresSilo,
  publish,
  serveFeed,
  sleep,
  waitFor,
  type FeedServer,
  type Silo,
} from './support.js';

describe('the feed under concurrent producers (PostgreSQL)', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    [producer, consumer] = await Promise.all([openPostgresSilo('hospital', 25), openPostgresSilo('ems')]);
    feed = await serveFeed(producer);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
    await emptyTables(producer, consumer);
  });

  afterAll(async () => {
    try {
      await feed?.close();
    } finally {
      await Promise.all([producer?.close(), consumer?.close()]);
    }
  });

  it('orders transactions by number, not by their digits, so a consumer crossing 9 → 10 (or 99999 → 100000) skips nothing', async () => {
    // Rows as transactions 8 to 11 wrote them (ids every server has passed): as text, 10 and 11 sort before 9.
    for (const transaction of [8, 9, 10, 11]) {
      await sql`insert into outbox_events (transaction_id, id, type, aggregate_id, payload)
        values (${String(transaction)}::xid8, gen_random_uuid(), 'TripOffered', ${`t${transaction}`}, ${JSON.stringify(offered(`t${transaction}`))})`.execute(producer.db);
    }
    running.push(consume(consumer, { feed: feed.source(), batchSize: 2 }));
    await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((effect) => effect.label)).toEqual(['t8', 't9', 't10', 't11']);
  });

  it('delivers an event whose transaction wrote first and committed last, which a position cursor would skip', async () => {
    running.push(consume(consumer, { feed: feed.source() }));

    // The first writer takes the lower position and holds its transaction open.
    const first = await producer.db.startTransaction().execute();
    const firstId = await publishEvent(first, 'TripOffered', 'first', offered('first'));
    // The second writer takes the higher position and commits before it.
    const [secondId] = await publish(producer.db, ['second']);

    // A naive consumer reads by position and now believes it has seen everything up to the second event.
    const naiveRead = await sql<{ id: string; position: number }>`select id, position from outbox_events where position > 0 order by position`.execute(
      producer.db,
    );
    expect(naiveRead.rows.map((row) => row.id)).toEqual([secondId]);
    const naiveCursor = naiveRead.rows[0]!.position;

    // The feed serves nothing yet: the second event is committed, but an older transaction still runs.
    expect(await feed.source().read(FEED_START, { limit: 100, waitMs: 0, signal: new AbortController().signal })).toEqual([]);
    expect(await effects(consumer.db)).toEqual([]);

    await first.commit().execute();

    // The naive cursor is past the first event's position: it would never see it.
    const naiveNext = await sql<{ id: string }>`select id from outbox_events where position > ${naiveCursor}`.execute(producer.db);
    expect(naiveNext.rows).toEqual([]);

    // The feed serves both, in transaction order, and the consumer applies both. (Any transaction of the server
    // that is older still holds them back, so the read waits until they are servable.)
    const served = await waitFor('both events to be served', async () => {
      const events = await feed.source().read(FEED_START, { limit: 100, waitMs: 1_000, signal: new AbortController().signal });
      return events.length === 2 && events;
    });
    expect(served.map((event) => event.id)).toEqual([firstId, secondId]);
    await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([firstId, secondId]);
  });

  it('applies every event of 20 concurrent writers exactly once, in feed order and in order within each transaction', async () => {
    running.push(consume(consumer, { feed: feed.source(), batchSize: 50 }));
    const writers = 20;
    const transactionsPerWriter = 10;
    const eventsPerTransaction = 5;

    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let transaction = 0; transaction < transactionsPerWriter; transaction++) {
          await producer.db.transaction().execute(async (trx) => {
            for (let index = 0; index < eventsPerTransaction; index++) {
              await sleep(Math.floor(Math.random() * 4));
              const label = `${writer}:${transaction}:${index}`;
              await publishEvent(trx, 'TripOffered', label, offered(label));
            }
          });
        }
      }),
    );

    const feedOrder = await caughtUp(producer, consumer, undefined, 30_000);
    const applied = await effects(consumer.db);
    const total = writers * transactionsPerWriter * eventsPerTransaction;
    expect(feedOrder).toHaveLength(total);
    expect(applied).toHaveLength(total);
    expect(new Set(applied.map((row) => row.event_id)).size).toBe(total);
    // The writers really interleaved: in position order the events are not in feed (transaction) order.
    const byPosition = await sql<{ id: string }>`select id from outbox_events order by position`.execute(producer.db);
    expect(byPosition.rows.map((row) => row.id)).not.toEqual(feedOrder.map((row) => row.id));
    // Applied in exactly the feed's final order: nothing was served before an event that sorts ahead of it.
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));

    // Each producer transaction arrives whole and in its own order, and each writer's transactions in theirs.
    const labels = applied.map((row) => row.label.split(':').map(Number) as [number, number, number]);
    for (let at = 0; at < labels.length; at += eventsPerTransaction) {
      const group = labels.slice(at, at + eventsPerTransaction);
      expect(group.map(([writer, transaction]) => `${writer}:${transaction}`)).toEqual(Array(eventsPerTransaction).fill(`${group[0]![0]}:${group[0]![1]}`));
      expect(group.map(([, , index]) => index)).toEqual([0, 1, 2, 3, 4]);
    }
    for (let writer = 0; writer < writers; writer++) {
      const transactions = labels.filter(([w, , index]) => w === writer && index === 0).map(([, transaction]) => transaction);
      expect(transactions).toEqual([...Array(transactionsPerWriter).keys()]);
    }
    expect((await consumerRow(consumer.db))?.applied_count).toBe(total);
  });

  it('serves a long transaction late rather than never, without holding back the consumer once it ends', async () => {
    running.push(consume(consumer, { feed: feed.source() }));
    const long = await producer.db.startTransaction().execute();
    const lateId = await publishEvent(long, 'TripOffered', 'late', offered('late'));
    const laterIds = [...(await publish(producer.db, ['a'])), ...(await publish(producer.db, ['b']))];
    // While it runs, nothing behind it goes out.
    await sleep(200);
    expect(await effects(consumer.db)).toEqual([]);
    await long.commit().execute();
    await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([lateId, ...laterIds]);
  });

  it('loses nothing when a transaction that wrote to the outbox rolls back', async () => {
    running.push(consume(consumer, { feed: feed.source() }));
    const doomed = await producer.db.startTransaction().execute();
    await publishEvent(doomed, 'TripOffered', 'doomed', offered('doomed'));
    const keptIds = await publish(producer.db, ['kept']);
    await doomed.rollback().execute();
    const moreIds = await publish(producer.db, ['more']);
    await caughtUp(producer, consumer);
    await waitFor('both kept events', async () => (await effects(consumer.db)).length === 2);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([...keptIds, ...moreIds]);
  });
});
