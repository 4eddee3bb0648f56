import { oneOf } from '@medport/database';
import { AuditOutcomeEnum, enumValues, UserRoleEnum } from '@medport/domain';
import { sql, type Kysely } from 'kysely';

/** Creates a silo's audit_log table, append-only from the first row on. */
export async function createAuditLogTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_role', 'text', (col) => col.check(oneOf('actor_role', enumValues(UserRoleEnum))))
    .addColumn('tenant_id', 'uuid')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('entity_type', 'text', (col) => col.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('operation_name', 'text')
    .addColumn('request_id', 'text')
    .addColumn('outcome', 'text', (col) => col.notNull().check(oneOf('outcome', enumValues(AuditOutcomeEnum))))
    .addColumn('details', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('ip_address', 'text')
    .execute();
  await db.schema.createIndex('audit_log_time_idx').on('audit_log').expression(sql`occurred_at desc, id desc`).execute();
  await db.schema.createIndex('audit_log_entity_idx').on('audit_log').columns(['entity_type', 'entity_id']).execute();
  await db.schema.createIndex('audit_log_actor_idx').on('audit_log').columns(['actor_id', 'occurred_at']).execute();
  await makeAuditLogAppendOnly(db);
}

/**
 * Refuses UPDATE, DELETE and TRUNCATE on audit_log in the database itself, so no application code (and no
 * mistake in it) can rewrite the trail. Removing the guard takes a schema change, which leaves its own trace.
 */
export async function makeAuditLogAppendOnly(db: Kysely<any>): Promise<void> {
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end;
    $$`.execute(db);
  await sql`create trigger audit_log_no_update_or_delete before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`.execute(db);
}

export async function dropAuditLogTable(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await sql`drop function if exists audit_log_append_only()`.execute(db);
}

