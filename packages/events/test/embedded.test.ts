import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEED_START, publishEvent, type FeedSource, type RunningConsumer } from '../src/index.js';
import {
  caughtUp,
  consume,
  consumerRow,
  effects,
  emptyTables,
  offered,
  openEmbeddedSilo,
  outboxInFeedOrder,
  publish,
  serveFeed,
  waitFor,
  type FeedServer,
  type Silo,
} from './support.js';

/**
 * PGlite is one connection, so its transactions cannot interleave: one held open makes the others wait for it. The
 * same scenario as on PostgreSQL then shows that the xid8-ordered feed, the inbox and NOTIFY work there as well.
 */
describe('delivery between two embedded PGlite silos', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  const running: RunningConsumer[] = [];

  // Starting PGlite takes seconds, so the file shares one pair of databases and empties them after each test.
  beforeAll(async () => {
    [producer, consumer] = await Promise.all([openEmbeddedSilo('hospital'), openEmbeddedSilo('ems')]);
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

  it('delivers a transaction held open while another waits to write, in transaction order, once, and a replay changes nothing', async () => {
    let consumer1 = consume(consumer, { feed: feed.source(), waitMs: 10_000 });
    running.push(consumer1);
    await waitFor('a long poll', () => feed.inFlight > 0);

    const held = await producer.db.startTransaction().execute();
    const firstId = await publishEvent(held, 'TripOffered', 'first', offered('first'));
    // Both wait for the held transaction: the second writer, and a reader of the feed.
    const second = publish(producer.db, ['second']);
    const read = feed.source().read(FEED_START, { limit: 10, waitMs: 0, signal: new AbortController().signal });
    await held.commit().execute();
    const [secondId] = await second;
    expect((await read)[0]?.id).toBe(firstId);

    await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([firstId, secondId]);
    expect(feed.notifications).toBeGreaterThan(0);

    // Replay from the start, every event delivered twice: nothing changes.
    await consumer1.stop();
    await consumer.db.updateTable('event_consumers').set({ cursor: FEED_START }).where('name', '=', 'ems.from-hospital').execute();
    const source = feed.source();
    let delivered = 0;
    const doubling: FeedSource = {
      name: source.name,
      read: async (after, options) => {
        const events = await source.read(after, options);
        delivered += events.length;
        return events.flatMap((event) => [event, event]);
      },
    };
    consumer1 = consume(consumer, { feed: doubling });
    running.push(consumer1);
    await caughtUp(producer, consumer);
    expect(delivered).toBe(2);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual([firstId, secondId]);
    expect((await consumerRow(consumer.db))?.applied_count).toBe(2);
  });

  it('applies the events of concurrent writers exactly once, in feed order', async () => {
    running.push(consume(consumer, { feed: feed.source(), batchSize: 15 }));
    await Promise.all(
      Array.from({ length: 5 }, async (_, writer) => {
        for (let transaction = 0; transaction < 4; transaction++) {
          await publish(producer.db, Array.from({ length: 5 }, (_, index) => `${writer}:${transaction}:${index}`));
        }
      }),
    );
    const feedOrder = await caughtUp(producer, consumer);
    expect(feedOrder).toHaveLength(100);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual((await outboxInFeedOrder(producer.db)).map((row) => row.id));
  });
});
