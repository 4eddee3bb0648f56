import { sql, type Kysely } from 'kysely';

/**
 * The center's network settings this silo applies (the offer deadline), as the center announced them. Kept here so
 * a trip is requested without asking the center; a key missing here means the silo's own default (its environment).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('network_settings')
    .addColumn('key', 'text', (col) => col.primaryKey())
    // Null: the center withdrew the setting, and the silo's own default applies again.
    .addColumn('value', 'jsonb')
    // When the center changed it: an older announcement (retried late) changes nothing.
    .addColumn('changed_at', 'timestamptz', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('network_settings').execute();
}
