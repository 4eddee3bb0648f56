import { createAuditLogTable, dropAuditLogTable } from '@medport/audit';
import type { Kysely } from 'kysely';

/** The ems silo's own append-only audit trail (refused attempts on trips and agency data). */
export async function up(db: Kysely<any>): Promise<void> {
  await createAuditLogTable(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropAuditLogTable(db);
}
