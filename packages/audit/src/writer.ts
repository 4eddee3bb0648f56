import { isCenterStaff, tenantIdOf, type Viewer } from '@medport/auth';
import { jsonText, label } from '@medport/database';
import { newId, type AuditOutcome } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { AuditLogTable, NewAuditEntryRow } from './table.js';

export interface AuditDatabase {
  audit_log: AuditLogTable;
}

export interface AuditEntry {
  /** What was attempted, e.g. READ_PATIENT_DATA, CREATE_TRANSPORT_REQUEST. */
  action: string;
  entityType: string;
  entityId: string | null;
  outcome: AuditOutcome;
  /** References only (ids, field names, error codes); never patient data itself. */
  details?: Record<string, string | number | boolean | null>;
}

export interface RequestAudit {
  /** Filled once the operation is parsed. */
  operationName: string | null;
  /**
   * Records an entry once per request: the same action, record and outcome asked for again (a trip selected
   * twice through aliases) leaves one row. Entries of one tick are written in one statement; the promise settles
   * when they are stored, so data is only returned once its reading is on record.
   */
  record(entry: AuditEntry): Promise<void>;
}

/** The audit trail writer of one request, bound to its caller and request id. */
export function createRequestAudit(db: Kysely<any>, viewer: Viewer | null, requestId: string): RequestAudit {
  const audit = db as Kysely<AuditDatabase>;
  const seen = new Map<string, Promise<void>>();
  let pending: NewAuditEntryRow[] = [];
  let flush: Promise<void> | null = null;

  const request: RequestAudit = {
    operationName: null,
    record(entry) {
      const key = JSON.stringify([entry.action, entry.entityType, entry.entityId, entry.outcome]);
      const existing = seen.get(key);
      if (existing) return existing;
      pending.push({
        id: newId(),
        actor_id: viewer?.userId ?? null,
        actor_role: viewer?.role ?? null,
        tenant_id: viewer && !isCenterStaff(viewer) ? tenantIdOf(viewer) : null,
        action: entry.action,
        entity_type: entry.entityType,
        entity_id: entry.entityId,
        operation_name: request.operationName,
        request_id: requestId,
        outcome: entry.outcome,
        details: jsonText(entry.details ?? {}),
        ip_address: null,
      });
      flush ??= Promise.resolve().then(async () => {
        const rows = pending;
        pending = [];
        flush = null;
        await audit.insertInto('audit_log').values(rows).modifyEnd(label('recordAuditEntries')).execute();
      });
      const stored = flush;
      seen.set(key, stored);
      return stored;
    },
  };
  return request;
}
