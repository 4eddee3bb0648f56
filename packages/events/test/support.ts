import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type DatabaseHandle } from '@medport/database';
import type { EventContracts } from '@medport/domain';
import { sql, type Generated, type Kysely, type Transaction } from 'kysely';
// The shared test databases, by path: @medport/testing is not a dependency of this package.
import { createTestDatabase, TEST_POSTGRES_URL } from '@medport/testing';
import {
  createEventTables,
  eventFeedRoute,
  FEED_START,
  httpFeedSource,
  OUTBOX_CHANNEL,
  OutboxSignal,
  publishEvent,
  startConsumer,
  type ConsumerDefinition,
  type EventHandlers,
  type EventsDatabase,
  type FeedEvent,
  type FeedSource,
  type RetryPolicy,
  type RunningConsumer,
} from '../src/index.js';

export const FEED_SECRET = 'events-test-secret';

/** What the test consumer does with an event: one row per application, so a duplicate shows as a second row. */
interface EffectsTable {
  seq: Generated<number>;
  event_id: string;
  label: string;
  replica: string;
}

export type ConsumerTables = EventsDatabase & { effects: EffectsTable };

export interface Silo {
  handle: DatabaseHandle<ConsumerTables>;
  db: Kysely<ConsumerTables>;
  /** The PostgreSQL database's name; undefined on embedded PGlite. */
  databaseName: string | undefined;
  url: string | undefined;
  /** Closes the handle and drops the database. */
  close(): Promise<void>;
}

async function prepare(db: Kysely<any>) {
  await createEventTables(db);
  await db.schema
    .createTable('effects')
    .addColumn('seq', 'bigserial', (col) => col.primaryKey())
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('replica', 'text', (col) => col.notNull())
    .execute();
}

/**
 * A fresh PostgreSQL database with the event tables. These tests prove what concurrent sessions, separate processes
 * and outages do, which an embedded single-connection database cannot show, so a missing server is an error here.
 */
export async function openPostgresSilo(silo: 'hospital' | 'ems' | 'center', maxConnections = 10): Promise<Silo> {
  const test = await createTestDatabase(silo);
  if (test.kind !== 'postgres' || !test.url) {
    throw new Error(`The delivery tests of packages/events need PostgreSQL at ${TEST_POSTGRES_URL}`);
  }
  const handle = openDatabase<ConsumerTables>({ name: silo, url: test.url, maxConnections });
  try {
    await prepare(handle.db);
  } catch (error) {
    await handle.close();
    await test.drop();
    throw error;
  }
  return {
    handle,
    db: handle.db,
    databaseName: new URL(test.url).pathname.slice(1),
    url: test.url,
    async close() {
      try {
        await handle.close();
      } finally {
        await test.drop();
      }
    },
  };
}

/** Empties a silo's tables between the tests of a file that shares its databases (creating one takes a while). */
export async function emptyTables(...silos: Silo[]) {
  for (const silo of silos) {
    await sql`truncate outbox_events, event_consumers, consumed_events, parked_events, effects restart identity`.execute(silo.db);
  }
}

/** A fresh in-memory PGlite database with the event tables. */
export async function openEmbeddedSilo(name: string): Promise<Silo> {
  const handle = openDatabase<ConsumerTables>({ name, dataDir: 'memory' });
  await prepare(handle.db);
  return { handle, db: handle.db, databaseName: undefined, url: undefined, close: () => handle.close() };
}

/** The server's maintenance database, for what a test does to a silo's database from outside (an outage). */
export function openAdmin(): DatabaseHandle<unknown> {
  return openDatabase({ name: 'events-test-admin', url: TEST_POSTGRES_URL, maxConnections: 2 });
}

/** Makes a database refuse new connections and ends the ones it has, like a server going away. */
export async function takeDown(admin: DatabaseHandle<unknown>, databaseName: string) {
  await sql`alter database ${sql.id(databaseName)} allow_connections false`.execute(admin.db);
  await terminateBackends(admin, databaseName);
}

export async function bringBack(admin: DatabaseHandle<unknown>, databaseName: string) {
  await sql`alter database ${sql.id(databaseName)} allow_connections true`.execute(admin.db);
}

/** Ends the sessions on a database (all, or those of one application name); returns how many. */
export async function terminateBackends(admin: DatabaseHandle<unknown>, databaseName: string, applicationName?: string): Promise<number> {
  // In the select list, not the where clause: there the planner may call it before the filters that pick the sessions.
  const result = await sql<{ terminated: boolean }>`
    select pg_terminate_backend(pid) as terminated from pg_stat_activity
    where datname = ${databaseName} and pid <> pg_backend_pid()
      and (${applicationName ?? null}::text is null or application_name = ${applicationName ?? null})`.execute(admin.db);
  return result.rows.filter((row) => row.terminated).length;
}

export interface FeedServer {
  url: string;
  /** NOTIFYs received on the outbox channel (the listener calls once more after reconnecting). */
  readonly notifications: number;
  /** Feed requests being answered right now (a consumer in a long poll is one). */
  readonly inFlight: number;
  source(name?: string): FeedSource;
  /** Stops answering: closes the port and every open connection. */
  stop(): Promise<void>;
  /** Answers again, on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A producer's feed served for real: the outbox route on node:http, woken by NOTIFY, as a subgraph assembles it. */
export async function serveFeed(producer: Silo): Promise<FeedServer> {
  const signal = new OutboxSignal();
  let notifications = 0;
  let inFlight = 0;
  const stopListening = await producer.handle.listen(OUTBOX_CHANNEL, () => {
    notifications += 1;
    signal.notify();
  });
  const route = eventFeedRoute(producer.db, signal, FEED_SECRET);
  const server: Server = createServer(async (request, response) => {
    inFlight += 1;
    try {
      if (!(await route(request, response))) {
        response.writeHead(404).end();
      }
    } catch {
      // What the subgraph's HTTP server does with a route that fails.
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"Internal server error"}');
      else response.destroy();
    } finally {
      inFlight -= 1;
    }
  });
  let port = 0;
  let listening = false;
  const start = async () => {
    if (listening) return;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    listening = true;
  };
  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  await start();
  const url = `http://127.0.0.1:${port}/events`;
  return {
    url,
    get notifications() {
      return notifications;
    },
    get inFlight() {
      return inFlight;
    },
    source: (name = 'hospital') => httpFeedSource(name, url, FEED_SECRET),
    stop,
    start,
    async close() {
      await stop();
      await stopListening();
    },
  };
}

/** A TripOffered event whose tripId carries the test's label for it. */
export function offered(label: string): EventContracts['TripOffered'] {
  return { tripId: label, hospitalId: 'test-hospital', agencyIds: [], offeredAt: new Date(0).toISOString() };
}

/** Publishes one TripOffered event per label in one transaction; returns their ids. */
export async function publish(db: Kysely<any>, labels: readonly string[]): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const label of labels) ids.push(await publishEvent(trx, 'TripOffered', label, offered(label)));
    return ids;
  });
}

/** Records one effect row for the event, labelled with the TripOffered tripId or the event type. */
export async function recordEffect(trx: Transaction<any>, event: FeedEvent, replica = 'main') {
  const payload = event.payload as { tripId?: string };
  await (trx as Transaction<ConsumerTables>)
    .insertInto('effects')
    .values({ event_id: event.id, label: payload.tripId ?? event.type, replica })
    .execute();
}

export function recordingHandlers(replica = 'main'): EventHandlers<ConsumerTables> {
  return { TripOffered: (trx, event) => recordEffect(trx, event, replica) };
}

export function definition(handlers: EventHandlers<ConsumerTables> = recordingHandlers(), name = 'ems.from-hospital'): ConsumerDefinition<ConsumerTables> {
  return { name, source: 'hospital', handlers };
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  details: object;
}

export function recordingLogger(entries: LogEntry[] = []) {
  return {
    entries,
    info: (details: object, message: string) => void entries.push({ level: 'info', message, details }),
    warn: (details: object, message: string) => void entries.push({ level: 'warn', message, details }),
    error: (details: object, message: string) => void entries.push({ level: 'error', message, details }),
  };
}

export const FAST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50 };

export interface ConsumeOptions {
  feed: FeedSource;
  definition?: ConsumerDefinition<ConsumerTables>;
  retry?: RetryPolicy;
  batchSize?: number;
  waitMs?: number;
  logger?: ReturnType<typeof recordingLogger>;
  beforeAcknowledge?: (events: readonly FeedEvent[]) => void | Promise<void>;
}

export function consume(consumer: Silo, options: ConsumeOptions): RunningConsumer {
  return startConsumer({
    definition: options.definition ?? definition(),
    db: consumer.db,
    feed: options.feed,
    ping: () => consumer.handle.ping(),
    logger: options.logger ?? recordingLogger(),
    retry: options.retry ?? FAST_RETRY,
    batchSize: options.batchSize ?? 100,
    waitMs: options.waitMs ?? 2_000,
    ...(options.beforeAcknowledge ? { beforeAcknowledge: options.beforeAcknowledge } : {}),
  });
}

/** Effects in the order they were applied. */
export function effects(db: Kysely<ConsumerTables>) {
  return db.selectFrom('effects').select(['seq', 'event_id', 'label', 'replica']).orderBy('seq').execute();
}

export function consumerRow(db: Kysely<ConsumerTables>, name = 'ems.from-hospital') {
  return db.selectFrom('event_consumers').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The producer's events in feed order (transaction, then position), as they are once every writer is done. */
export async function outboxInFeedOrder(db: Kysely<any>): Promise<{ id: string; cursor: string }[]> {
  const result = await sql<{ id: string; cursor: string }>`
    select id, transaction_id::text || ':' || position as cursor from outbox_events order by transaction_id, position`.execute(db);
  return result.rows;
}

/** Resolves with `check`'s first truthy answer; fails with `what` when none comes within `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer) return answer;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the consumer has applied everything the producer wrote (its cursor is the feed's last event). */
export async function caughtUp(producer: Silo, consumer: Silo, name = 'ems.from-hospital', timeoutMs = 20_000) {
  const all = await outboxInFeedOrder(producer.db);
  const last = all[all.length - 1]?.cursor ?? FEED_START;
  await waitFor(`${name} to reach ${last}`, async () => (await consumerRow(consumer.db, name))?.cursor === last, timeoutMs);
  return all;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
