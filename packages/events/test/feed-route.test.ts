import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FEED_START, httpFeedSource, parseCursor, type RunningConsumer } from '../src/index.js';
import { consume, effects, emptyTables, FEED_SECRET, openPostgresSilo, publish, serveFeed, waitFor, type FeedServer, type Silo } from './support.js';

describe('a feed cursor', () => {
  it('is a transaction id and a position within their columns’ ranges', () => {
    expect(parseCursor(FEED_START)).toEqual({ transactionId: '0', position: '0' });
    expect(parseCursor('18446744073709551615:9223372036854775807')).toEqual({ transactionId: '18446744073709551615', position: '9223372036854775807' });
    expect(parseCursor('18446744073709551616:1')).toBeNull();
    expect(parseCursor('1:9223372036854775808')).toBeNull();
    expect(parseCursor('1:2:3')).toBeNull();
  });
});

describe('the feed route and its wake-up (PostgreSQL)', () => {
  let producer: Silo;
  let consumer: Silo;
  let feed: FeedServer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    [producer, consumer] = await Promise.all([openPostgresSilo('hospital'), openPostgresSilo('ems')]);
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

  const get = (query: string, headers: Record<string, string> = { authorization: `Bearer ${FEED_SECRET}` }, method = 'GET') =>
    fetch(`${feed.url}${query}`, { method, headers });

  it('refuses a caller without the events secret or with a wrong one', async () => {
    await publish(producer.db, ['secret']);
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-secret' }, { authorization: FEED_SECRET }, { authorization: `Basic ${FEED_SECRET}` }];
    for (const headers of refused) {
      const response = await get('?after=0:0', headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: expect.stringContaining('events secret') });
    }
    await expect(httpFeedSource('hospital', feed.url, 'wrong-secret').read(FEED_START, { limit: 10, waitMs: 0, signal: new AbortController().signal })).rejects.toThrow(
      /answered 401/,
    );
    // Waits until the event is servable (an older transaction anywhere on the server holds it back until it ends).
    const allowed = await get('?after=0:0&waitMs=5000');
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { events: unknown[] }).events).toHaveLength(1);
  });

  it('refuses with 409 a cursor this database has not reached (restored or moved), serving nothing', async () => {
    await publish(producer.db, ['after-a-restore']);
    const response = await get('?after=18446744073709551000:1&waitMs=0');
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toMatch(/has not reached.*0:0/s);
    await expect(
      httpFeedSource('hospital', feed.url, FEED_SECRET).read('18446744073709551000:1', { limit: 10, waitMs: 0, signal: new AbortController().signal }),
    ).rejects.toThrow(/answered 409/);
  });

  it('answers 400 to a malformed cursor, limit or wait, and 405 to anything but GET', async () => {
    const malformed = [
      'after=abc',
      'after=1',
      'after=1:2:3',
      'after=-1:0',
      'after=1.5:0',
      'after=%201:0',
      // Digits, but beyond what a transaction id (xid8) or a position (bigint) can be.
      'after=18446744073709551616:0',
      'after=0:9223372036854775808',
      'after=99999999999999999999:99999999999999999999',
      'limit=0',
      'limit=501',
      'limit=ten',
      'waitMs=-1',
      'waitMs=30001',
    ];
    for (const query of malformed) {
      const response = await get(`?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    expect((await get('?after=0:0', undefined, 'POST')).status).toBe(405);
    // The largest values that fit are a well-formed cursor (not 400), but one no database has reached (409).
    const last = await get('?after=18446744073709551615:9223372036854775807');
    expect(last.status).toBe(409);
  });

  it('wakes a consumer in a long poll as soon as an event is committed', async () => {
    running.push(consume(consumer, { feed: feed.source(), waitMs: 10_000 }));
    await waitFor('the consumer to register', async () => (await consumer.db.selectFrom('event_consumers').select('name').execute()).length > 0);
    await waitFor('a long poll', () => feed.inFlight > 0);
    const notificationsBefore = feed.notifications;

    const publishedAt = Date.now();
    const [id] = await publish(producer.db, ['soon']);
    const applied = await waitFor('the event to be applied', async () => (await effects(consumer.db)).find((row) => row.event_id === id), 10_000);
    const elapsed = Date.now() - publishedAt;

    expect(applied.label).toBe('soon');
    // Far sooner than the poll's 10 s: the commit's NOTIFY woke the waiting feed request.
    expect(elapsed).toBeLessThan(3_000);
    expect(feed.notifications).toBeGreaterThan(notificationsBefore);
  });

  it('answers a long poll with no events after its wait, empty', async () => {
    const response = await get('?after=0:0&waitMs=200');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ events: [] });
  });
});
