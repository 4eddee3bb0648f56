import type { DatabaseHandle } from '@medport/database';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsumer } from '../src/index.js';
import {
  bringBack,
  caughtUp,
  consume,
  consumerRow,
  definition,
  effects,
  emptyTables,
  openAdmin,
  openPostgresSilo,
  publish,
  recordEffect,
  recordingLogger,
  serveFeed,
  sleep,
  takeDown,
  terminateBackends,
  waitFor,
  type FeedServer,
  type Silo,
} from './support.js';

const labels = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe('a consumer through outages (PostgreSQL)', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  let admin: DatabaseHandle<unknown>;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    admin = openAdmin();
    [producer, consumer] = await Promise.all([openPostgresSilo('hospital'), openPostgresSilo('ems')]);
    feed = await serveFeed(producer);
  });

  afterEach(async () => {
    // Whatever a failed test left down comes back, so that cleanup can run.
    for (const silo of [producer, consumer]) if (silo?.databaseName) await bringBack(admin, silo.databaseName);
    await feed?.start();
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
    await emptyTables(producer, consumer);
  });

  afterAll(async () => {
    try {
      await feed?.close();
    } finally {
      await Promise.all([producer?.close(), consumer?.close()]);
      await admin?.close();
    }
  });

  it('applies everything exactly once and parks nothing after its own database was unreachable', async () => {
    const logger = recordingLogger();
    // A slow handler keeps transactions open, so the outage also cuts through one in flight.
    const slow = definition({
      TripOffered: async (trx, event) => {
        await sleep(5);
        await recordEffect(trx, event);
      },
    });
    running.push(consume(consumer, { feed: feed.source(), definition: slow, logger, batchSize: 10 }));
    await publish(producer.db, labels('before', 10));
    await caughtUp(producer, consumer);

    const publishing = (async () => {
      for (let transaction = 0; transaction < 10; transaction++) {
        await publish(producer.db, labels(`during${transaction}-`, 10));
        await sleep(10);
      }
    })();
    await waitFor('the consumer to be applying', async () => (await effects(consumer.db)).length > 10);
    await takeDown(admin, consumer.databaseName!);
    await publishing;
    await waitFor('the consumer to notice', () => logger.entries.some((entry) => entry.message === 'database unreachable; waiting for it'));
    // Long enough for several retries of the consumer while its database is away.
    await sleep(300);
    await bringBack(admin, consumer.databaseName!);

    const feedOrder = await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied).toHaveLength(110);
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect(await consumer.db.selectFrom('parked_events').selectAll().execute()).toEqual([]);
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 0, applied_count: 110 });
    expect(logger.entries.filter((entry) => entry.message === 'event failed')).toEqual([]);
  });

  it('applies everything exactly once and parks nothing after the producer’s feed was down', async () => {
    const logger = recordingLogger();
    running.push(consume(consumer, { feed: feed.source(), logger, waitMs: 10_000 }));
    await publish(producer.db, labels('before', 5));
    await caughtUp(producer, consumer);

    // The consumer is in a long poll when the feed goes away.
    await waitFor('a long poll', () => feed.inFlight > 0);
    await feed.stop();
    for (let transaction = 0; transaction < 5; transaction++) await publish(producer.db, labels(`down${transaction}-`, 5));
    await waitFor('the consumer to notice', () => logger.entries.some((entry) => entry.message === 'feed unreachable; retrying until it answers'));
    await sleep(300);
    expect(await effects(consumer.db)).toHaveLength(5);
    await feed.start();

    const feedOrder = await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect(applied).toHaveLength(30);
    expect(await consumer.db.selectFrom('parked_events').selectAll().execute()).toEqual([]);
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 0, applied_count: 30 });
    expect(logger.entries.some((entry) => entry.message === 'feed reachable again')).toBe(true);
  });

  it('parks nothing when its database connections keep being cut while the server stays up', async () => {
    const logger = recordingLogger();
    const slow = definition({
      TripOffered: async (trx, event) => {
        await sleep(3);
        await recordEffect(trx, event);
      },
    });
    running.push(consume(consumer, { feed: feed.source(), definition: slow, logger, batchSize: 5, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } }));
    for (let transaction = 0; transaction < 20; transaction++) await publish(producer.db, labels(`t${transaction}-`, 10));

    // The server answers at once every time, so a ping after a failure finds it reachable.
    let cuts = 0;
    const until = Date.now() + 800;
    while (Date.now() < until) {
      cuts += await terminateBackends(admin, consumer.databaseName!);
      await sleep(15);
    }
    expect(cuts).toBeGreaterThan(0);

    const feedOrder = await caughtUp(producer, consumer);
    const applied = await effects(consumer.db);
    expect(applied.map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect(await consumer.db.selectFrom('parked_events').select(['event_id', 'error', 'attempts']).execute()).toEqual([]);
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 0, applied_count: 200 });
  });

  it('catches up after the producer’s database was unreachable, its NOTIFY listener reconnected', async () => {
    const logger = recordingLogger();
    running.push(consume(consumer, { feed: feed.source(), logger, waitMs: 10_000 }));
    await publish(producer.db, labels('before', 5));
    await caughtUp(producer, consumer);
    await waitFor('a long poll', () => feed.inFlight > 0);

    await takeDown(admin, producer.databaseName!);
    await waitFor('the consumer to notice', () => logger.entries.some((entry) => entry.message === 'feed unreachable; retrying until it answers'));
    await sleep(300);
    const notificationsWhileDown = feed.notifications;
    await bringBack(admin, producer.databaseName!);

    // The listener comes back by itself and wakes the feed once, for what it may have missed.
    await waitFor('the listener to reconnect', () => feed.notifications > notificationsWhileDown);
    await publish(producer.db, labels('after', 5));
    const feedOrder = await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((row) => row.event_id)).toEqual(feedOrder.map((row) => row.id));
    expect(await consumerRow(consumer.db)).toMatchObject({ parked_count: 0, applied_count: 10 });
  });

  it('starts while its own database is unreachable and catches up once it answers', async () => {
    await publish(producer.db, labels('early', 5));
    await takeDown(admin, consumer.databaseName!);
    const logger = recordingLogger();
    running.push(consume(consumer, { feed: feed.source(), logger }));
    await waitFor('the consumer to notice', () => logger.entries.some((entry) => entry.level === 'warn'));
    await sleep(200);
    await bringBack(admin, consumer.databaseName!);
    await caughtUp(producer, consumer);
    expect(await effects(consumer.db)).toHaveLength(5);
    expect(await consumer.db.selectFrom('parked_events').selectAll().execute()).toEqual([]);
  });

  it('keeps waking consumers after the producer’s NOTIFY connection was cut', async () => {
    running.push(consume(consumer, { feed: feed.source(), waitMs: 10_000 }));
    const initial = feed.notifications;
    await publish(producer.db, ['first']);
    await waitFor('the feed to notice the first event', () => feed.notifications > initial);
    await caughtUp(producer, consumer);

    expect(await terminateBackends(admin, producer.databaseName!, 'medport-hospital-listener')).toBe(1);
    const before = feed.notifications;
    // Reconnected, the listener wakes the feed once by itself (notifications in between were lost).
    await waitFor('the listener to reconnect', () => feed.notifications > before);
    const reconnected = feed.notifications;
    await waitFor('a long poll', () => feed.inFlight > 0);
    await publish(producer.db, ['second']);
    await waitFor('the NOTIFY of the second event', () => feed.notifications > reconnected);
    await caughtUp(producer, consumer);
    expect((await effects(consumer.db)).map((row) => row.label)).toEqual(['first', 'second']);
  });
});
