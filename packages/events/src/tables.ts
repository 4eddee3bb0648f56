import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * The outbox: events this silo produced, written in the transaction of the change they report. Rows are ordered
 * by the transaction that wrote them (`transaction_id`, PostgreSQL's 64-bit xid8) and then by `position`; the feed
 * serves only rows of transactions that can no longer commit (see feed.ts), which is what makes the order safe.
 */
export interface OutboxEventsTable {
  position: Generated<number>;
  transaction_id: ColumnType<string, never, never>;
  id: string;
  type: string;
  aggregate_id: string;
  // Written as JSON text so that both drivers store the same document.
  payload: ColumnType<unknown, string, never>;
  occurred_at: ColumnType<Date, Date | undefined, never>;
}

/** One row per consumer in this silo: where it is in its producer's feed, and its last failure. */
export interface EventConsumersTable {
  name: string;
  source: string;
  /** The feed cursor of the last event applied or parked. */
  cursor: string;
  applied_count: ColumnType<number, number | undefined, number>;
  parked_count: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  last_error_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** The inbox: events a consumer applied. A second delivery of the same event finds its row and does nothing. */
export interface ConsumedEventsTable {
  consumer: string;
  event_id: string;
  consumed_at: ColumnType<Date, Date | undefined, never>;
}

/** Events a consumer gave up on after its retries, with the error, until an operator retries them. */
export interface ParkedEventsTable {
  id: string;
  consumer: string;
  event_id: string;
  event_type: string;
  /** The whole event as delivered, so a retry applies exactly what failed. */
  event: ColumnType<unknown, string, never>;
  error: string;
  attempts: number;
  parked_at: ColumnType<Date, Date | undefined, never>;
  last_attempt_at: Date;
  /** When a retry applied it; null while it waits. */
  resolved_at: Date | null;
}

/** The event tables every silo has, as Kysely sees them. */
export interface EventsDatabase {
  outbox_events: OutboxEventsTable;
  event_consumers: EventConsumersTable;
  consumed_events: ConsumedEventsTable;
  parked_events: ParkedEventsTable;
}

export type EventConsumerRow = Selectable<EventConsumersTable>;
export type ParkedEventRow = Selectable<ParkedEventsTable>;
