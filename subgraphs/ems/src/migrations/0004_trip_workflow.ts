import { oneOf } from '@medport/database';
import { enumValues, TransportStatusEnum } from '@medport/domain';
import { sql, type Kysely } from 'kysely';

/**
 * What the ems side of the trip workflow needs beyond the first schema: the planned pickup time agencies decide on,
 * and the record of every status change this silo made to a trip (who reported it, with the crew's notes, which
 * stay here: trip events carry no free text).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trips').addColumn('scheduled_pickup_at', 'timestamptz').execute();

  await db.schema
    .createTable('trip_progress')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('trip_id', 'uuid', (col) => col.notNull().references('trips.id'))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(TransportStatusEnum))))
    .addColumn('agency_id', 'uuid')
    .addColumn('unit_id', 'uuid')
    .addColumn('reported_by_id', 'uuid')
    .addColumn('notes', 'text')
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('trip_progress_trip_idx').on('trip_progress').columns(['trip_id', 'occurred_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('trip_progress').execute();
  await db.schema.alterTable('trips').dropColumn('scheduled_pickup_at').execute();
}
