import { makeAuditLogAppendOnly } from '@medport/audit';
import { AuditOutcomeEnum, enumValues } from '@medport/domain';
import { oneOf } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/** The center's audit_log (created with the silo) becomes append-only, and its outcomes one of the known ones. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log').addCheckConstraint('audit_log_outcome_check', oneOf('outcome', enumValues(AuditOutcomeEnum))).execute();
  await makeAuditLogAppendOnly(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger audit_log_no_update_or_delete on audit_log`.execute(db);
  await sql`drop trigger audit_log_no_truncate on audit_log`.execute(db);
  await sql`drop function audit_log_append_only()`.execute(db);
  await db.schema.alterTable('audit_log').dropConstraint('audit_log_outcome_check').execute();
}
