import { oneOf } from '@medport/database';
import { enumValues, ServiceStatusEnum } from '@medport/domain';
import { sql, type Kysely } from 'kysely';

/**
 * The agencies of the network as the hospital silo knows them from the center's registrations, so a hospital
 * can only prefer an agency that exists (no cross-silo lookup at request time).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('network_agencies')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(ServiceStatusEnum))))
    .addColumn('registered_at', 'timestamptz', (col) => col.notNull())
    // When the center last set the status: an older status event (retried late) changes nothing.
    .addColumn('status_changed_at', 'timestamptz', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('network_agencies').execute();
}
