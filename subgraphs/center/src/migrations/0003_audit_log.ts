import { createAuditLogTable, dropAuditLogTable } from '@medport/audit';
import type { Kysely } from 'kysely';

/** The center silo's own append-only audit trail: sign-ins, sessions, keys and administration. */
export async function up(db: Kysely<any>): Promise<void> {
  await createAuditLogTable(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropAuditLogTable(db);
}
