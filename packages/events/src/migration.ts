import { sql, type Kysely } from 'kysely';

/** Creates a silo's outbox and the bookkeeping of its consumers (cursor, inbox, parked events). */
export async function createEventTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox_events')
    .addColumn('position', 'bigserial', (col) => col.primaryKey())
    .addColumn('transaction_id', sql`xid8`, (col) => col.notNull().defaultTo(sql`pg_current_xact_id()`))
    .addColumn('id', 'uuid', (col) => col.notNull().unique())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('aggregate_id', 'text', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('outbox_events_feed_idx').on('outbox_events').columns(['transaction_id', 'position']).execute();

  await db.schema
    .createTable('event_consumers')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('cursor', 'text', (col) => col.notNull())
    .addColumn('applied_count', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('parked_count', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('consumed_events')
    .addColumn('consumer', 'text', (col) => col.notNull())
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('consumed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('consumed_events_pkey', ['consumer', 'event_id'])
    .execute();

  await db.schema
    .createTable('parked_events')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('consumer', 'text', (col) => col.notNull())
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('event_type', 'text', (col) => col.notNull())
    .addColumn('event', 'jsonb', (col) => col.notNull())
    .addColumn('error', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('parked_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz', (col) => col.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addUniqueConstraint('parked_events_consumer_event_key', ['consumer', 'event_id'])
    .execute();
  await db.schema.createIndex('parked_events_open_idx').on('parked_events').columns(['consumer', 'parked_at']).where(sql.ref('resolved_at'), 'is', null).execute();
}

export async function dropEventTables(db: Kysely<any>): Promise<void> {
  for (const table of ['parked_events', 'consumed_events', 'event_consumers', 'outbox_events']) {
    await db.schema.dropTable(table).execute();
  }
}
