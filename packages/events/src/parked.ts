import { requireRole, type Viewer } from '@medport/auth';
import { inTransaction, label } from '@medport/database';
import { PATIENT_DATA_FIELDS, type EventType } from '@medport/domain';
import { cursorTime, isId, notFound, parsePage, toConnection, type PageArgs } from '@medport/graphql';
import { parse, type DocumentNode } from 'graphql';
import { sql, type Kysely, type Transaction } from 'kysely';
import { takeTurn, type ConsumerDefinition } from './consumer.js';
import type { FeedEvent } from './envelope.js';
import type { EventConsumerRow, EventsDatabase, ParkedEventRow } from './tables.js';

/** Every consumer of this silo, with its position and its last failure. */
export function listEventConsumers(db: Kysely<any>): Promise<EventConsumerRow[]> {
  return (db as Kysely<EventsDatabase>).selectFrom('event_consumers').selectAll().orderBy('name').modifyEnd(label('listEventConsumers')).execute();
}

export async function listParkedEvents(db: Kysely<any>, filter: { consumer?: string | null; includeResolved?: boolean | null }, args: PageArgs) {
  const page = parsePage(args);
  let query = (db as Kysely<EventsDatabase>).selectFrom('parked_events').selectAll();
  if (filter.consumer) query = query.where('consumer', '=', filter.consumer);
  if (!filter.includeResolved) query = query.where('resolved_at', 'is', null);
  if (page.after) {
    const time = cursorTime(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('parked_at', '<', time), eb.and([eb('parked_at', '=', time), eb('id', '<', id)])]));
  }
  const rows = await query.orderBy('parked_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).modifyEnd(label('listParkedEvents')).execute();
  return toConnection(rows, page, (row) => ({ key: row.parked_at.toISOString(), id: row.id }));
}

/**
 * Applies a parked event again, with the handler its consumer has now (the usual fix is a new release). On success
 * it is resolved; on failure it stays parked with the new error and one more attempt. Either way it is returned.
 */
export async function retryParkedEvent<DB>(db: Kysely<DB>, consumers: readonly ConsumerDefinition<DB>[], id: string): Promise<ParkedEventRow> {
  const tables = db as unknown as Kysely<EventsDatabase>;
  const existing = isId(id)
    ? await tables.selectFrom('parked_events').selectAll().where('id', '=', id).modifyEnd(label('findParkedEvent')).executeTakeFirst()
    : undefined;
  if (!existing) throw notFound('ParkedEvent', id);
  if (existing.resolved_at) return existing;
  try {
    return await inTransaction(db, async (trx) => {
      const turn = consumers.find((candidate) => candidate.name === existing.consumer)?.turn;
      if (turn) await takeTurn(trx, turn);
      const parked = await (trx as unknown as Transaction<EventsDatabase>)
        .selectFrom('parked_events')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .modifyEnd(label('lockParkedEvent'))
        .executeTakeFirstOrThrow();
      if (parked.resolved_at) return parked;
      const event = parked.event as FeedEvent;
      const consumer = consumers.find((candidate) => candidate.name === parked.consumer);
      const handler = consumer?.handlers[event.type as EventType] as ((trx: Transaction<DB>, event: FeedEvent) => Promise<void>) | undefined;
      const fresh = await (trx as unknown as Transaction<EventsDatabase>)
        .insertInto('consumed_events')
        .values({ consumer: parked.consumer, event_id: parked.event_id })
        .onConflict((conflict) => conflict.doNothing())
        .returning('event_id')
        .modifyEnd(label('recordConsumedEvents'))
        .executeTakeFirst();
      if (fresh && handler) {
        await handler(trx, event);
        await consumer!.afterBatch?.(trx);
      }
      const now = new Date();
      return (trx as unknown as Transaction<EventsDatabase>)
        .updateTable('parked_events')
        .set({ resolved_at: now, last_attempt_at: now, attempts: parked.attempts + 1 })
        .where('id', '=', id)
        .returningAll()
        .modifyEnd(label('resolveParkedEvent'))
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    const message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 2_000);
    return tables
      .updateTable('parked_events')
      // Counted in the statement, not from the row read before: concurrent retries each count their attempt.
      .set({ error: message, last_attempt_at: new Date(), attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .returningAll()
      .modifyEnd(label('recordParkedEventFailure'))
      .executeTakeFirstOrThrow();
  }
}

/** An event as operators see it: patient data replaced by a marker that says it was left out. */
function withoutPatientData(event: FeedEvent): FeedEvent {
  if (typeof event.payload !== 'object' || event.payload === null) return event;
  const payload: Record<string, unknown> = { ...(event.payload as Record<string, unknown>) };
  for (const field of PATIENT_DATA_FIELDS) if (field in payload) payload[field] = '[patient data left out]';
  return { ...event, payload };
}

/** The operators' view of event delivery; identical in every silo, so the types are shareable. */
const EVENT_TYPE_DEFS = `
"A consumer of another silo's events: where it is in that silo's feed and what it could not apply."
type EventConsumer @shareable {
  name: String!
  "The silo whose events it applies."
  source: String!
  "Its place in the producer's feed (the last event applied or parked)."
  cursor: String!
  "Events it applied since it started."
  appliedCount: Int!
  "Events it parked since it started."
  parkedCount: Int!
  "The last failure, until an event applies again."
  lastError: String
  lastErrorAt: DateTime
  updatedAt: DateTime!
}

"An event a consumer gave up on after its retries. The events behind it went on; this one waits for a retry."
type ParkedEvent @shareable {
  id: ID!
  consumer: String!
  eventId: ID!
  eventType: String!
  "The event as delivered, as JSON text: ids, times and the plan of a trip, with patient data left out."
  event: String!
  "The last error."
  error: String!
  attempts: Int!
  parkedAt: DateTime!
  lastAttemptAt: DateTime!
  "When a retry applied it; null while it waits."
  resolvedAt: DateTime
}

type ParkedEventConnection @shareable {
  edges: [ParkedEventEdge!]!
  nodes: [ParkedEvent!]!
  pageInfo: PageInfo!
}

type ParkedEventEdge @shareable {
  cursor: String!
  node: ParkedEvent!
}
`;

interface EventsContext {
  db: Kysely<any>;
  viewer: Viewer | null;
}

/**
 * The event delivery of one silo for center administrators: `<silo>EventConsumers`, `<silo>ParkedEvents` and
 * `retry<Silo>ParkedEvent`. Each silo answers for its own consumers, so this works while another silo is down.
 */
export function eventDeliveryModule<DB>(silo: 'hospital' | 'ems' | 'center', consumers: readonly ConsumerDefinition<DB>[]): { typeDefs: DocumentNode; resolvers: object } {
  const Silo = silo[0]!.toUpperCase() + silo.slice(1);
  const requireAdmin = (context: EventsContext, action: string) => requireRole(context.viewer, ['CENTER_ADMIN'], action);
  return {
    typeDefs: parse(`${EVENT_TYPE_DEFS}
extend type Query {
  "The ${silo} silo's event consumers. Center administrators only."
  ${silo}EventConsumers: [EventConsumer!]!
  "Events the ${silo} silo's consumers parked, newest first; resolved ones only when asked. Center administrators only."
  ${silo}ParkedEvents(consumer: String, includeResolved: Boolean = false, first: Int = 50, after: String): ParkedEventConnection!
}

extend type Mutation {
  """
  Applies a parked event of the ${silo} silo again. It comes back resolved when it applied, or still parked with
  the new error. Center administrators only.
  """
  retry${Silo}ParkedEvent(id: ID!): ParkedEvent!
}`),
    resolvers: {
      Query: {
        [`${silo}EventConsumers`]: (_: unknown, __: unknown, context: EventsContext) => {
          requireAdmin(context, 'read event delivery');
          return listEventConsumers(context.db);
        },
        [`${silo}ParkedEvents`]: (_: unknown, args: PageArgs & { consumer?: string | null; includeResolved?: boolean | null }, context: EventsContext) => {
          requireAdmin(context, 'read parked events');
          return listParkedEvents(context.db, args, args);
        },
      },
      Mutation: {
        [`retry${Silo}ParkedEvent`]: (_: unknown, args: { id: string }, context: EventsContext) => {
          requireAdmin(context, 'retry parked events');
          return retryParkedEvent(context.db as Kysely<DB>, consumers, args.id);
        },
      },
      EventConsumer: {
        appliedCount: (row: EventConsumerRow) => row.applied_count,
        parkedCount: (row: EventConsumerRow) => row.parked_count,
        lastError: (row: EventConsumerRow) => row.last_error,
        lastErrorAt: (row: EventConsumerRow) => row.last_error_at,
        updatedAt: (row: EventConsumerRow) => row.updated_at,
      },
      ParkedEvent: {
        eventId: (row: ParkedEventRow) => row.event_id,
        eventType: (row: ParkedEventRow) => row.event_type,
        event: (row: ParkedEventRow) => JSON.stringify(withoutPatientData(row.event as FeedEvent)),
        parkedAt: (row: ParkedEventRow) => row.parked_at,
        lastAttemptAt: (row: ParkedEventRow) => row.last_attempt_at,
        resolvedAt: (row: ParkedEventRow) => row.resolved_at,
      },
    },
  };
}
