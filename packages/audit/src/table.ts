import type { AuditOutcome, UserRole } from '@medport/domain';
import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from '@medport/database';

/**
 * Who did what to which record, when, and how it ended (HIPAA audit controls, 45 CFR 164.312(b)). Rows are
 * only ever appended: there is deliberately no update type.
 */
export interface AuditLogTable {
  id: string;
  occurred_at: ColumnType<Date, Date | undefined, never>;
  actor_id: string | null;
  actor_role: UserRole | null;
  /** The actor's hospital or agency. */
  tenant_id: string | null;
  action: string;
  entity_type: string;
  /** Text, not uuid: some audited records are keyed by name (a system setting's key). */
  entity_id: string | null;
  operation_name: string | null;
  request_id: string | null;
  outcome: AuditOutcome;
  /** What changed or was read, by reference; never patient data itself. */
  details: JsonColumn;
  ip_address: string | null;
}

export type AuditEntryRow = Selectable<AuditLogTable>;
export type NewAuditEntryRow = Insertable<AuditLogTable>;
