import type { Kysely } from 'kysely';

/**
 * When the center last changed an agency's status. Status events are applied only when newer than this, so a
 * suspension and a reactivation retried in the wrong order (after being parked) cannot end the wrong way round.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('agencies').addColumn('status_changed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('agencies').dropColumn('status_changed_at').execute();
}
