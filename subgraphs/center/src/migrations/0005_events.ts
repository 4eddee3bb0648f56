import { createEventTables, dropEventTables } from '@medport/events';
import type { Kysely } from 'kysely';

/** The center silo's outbox of the events it produces, and the cursors, inbox and parked events of its consumers. */
export async function up(db: Kysely<any>): Promise<void> {
  await createEventTables(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropEventTables(db);
}
