import { createIdempotentRequestsTable, dropIdempotentRequestsTable } from '@medport/server';
import type { Kysely } from 'kysely';

/** The first outcome of each mutation sent with an Idempotency-Key, so that a retry returns it instead of running again. */
export async function up(db: Kysely<any>): Promise<void> {
  await createIdempotentRequestsTable(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropIdempotentRequestsTable(db);
}
