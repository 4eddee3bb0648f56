import { label } from '@medport/database';
import { newId, type EventContracts, type EventType } from '@medport/domain';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventsDatabase } from './tables.js';

/** The channel every silo notifies when it commits outbox events; its feed wakes the consumers waiting on it. */
export const OUTBOX_CHANNEL = 'medport_outbox';

/** Transactions that already asked for a NOTIFY: one per transaction wakes the feed, whatever it wrote. */
const notifying = new WeakSet<object>();

/**
 * Writes an event to this silo's outbox inside the caller's transaction: the event exists exactly when the change
 * it reports commits. The NOTIFY is delivered at commit too (and not at all on rollback).
 */
export async function publishEvent<T extends EventType>(
  trx: Transaction<any>,
  type: T,
  aggregateId: string,
  payload: EventContracts[T],
): Promise<string> {
  const [id] = await publishEvents(trx, type, [{ aggregateId, payload }]);
  return id!;
}

const PUBLISH_CHUNK = 5_000;

/**
 * Writes several events of one type in one statement (a consumer applying a batch set-wise), or in a few for
 * thousands (a grown demo); returns their ids.
 */
export async function publishEvents<T extends EventType>(
  trx: Transaction<any>,
  type: T,
  events: readonly { aggregateId: string; payload: EventContracts[T] }[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((event) => ({ id: newId(), type, aggregate_id: event.aggregateId, payload: JSON.stringify(event.payload) }));
  // One statement carries at most 65,535 parameters: four per event.
  for (let start = 0; start < rows.length; start += PUBLISH_CHUNK) {
    await (trx as unknown as Kysely<EventsDatabase>)
      .insertInto('outbox_events')
      .values(rows.slice(start, start + PUBLISH_CHUNK))
      .modifyEnd(label('publishEvent'))
      .execute();
  }
  if (!notifying.has(trx)) {
    notifying.add(trx);
    await sql`select pg_notify(${OUTBOX_CHANNEL}, '') /* notifyOutbox */`.execute(trx);
  }
  return rows.map((row) => row.id);
}
