import { sql, type Kysely } from 'kysely';

/**
 * The center's feature toggles this silo honours (geographic offers), as the center announced them. Kept here so
 * dispatch decides without asking the center; a toggle missing here is at the default its code states.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('feature_toggles')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('is_enabled', 'boolean', (col) => col.notNull())
    // Who it is on for: { roles, tenantIds, exceptTenantIds } (FeatureToggleTarget).
    .addColumn('target', 'jsonb', (col) => col.notNull())
    // When the center changed it: an older announcement (retried late) changes nothing.
    .addColumn('changed_at', 'timestamptz', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('feature_toggles').execute();
}
