import { isCenterStaff, tenantIdOf, type Viewer } from '@medport/auth';
import { jsonText, label, type Executor } from '@medport/database';
import { newId, type AuditOutcome } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { AuditLogTable, NewAuditEntryRow } from './table.js';

export interface AuditDatabase {
  audit_log: AuditLogTable;
}

export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** What was attempted, e.g. READ_PATIENT_DATA, CREATE_TRANSPORT_REQUEST. */
  action: string;
  entityType: string;
  entityId: string | null;
  outcome: AuditOutcome;
  /** References only (ids, field names, error codes); never patient data itself. */
  details?: AuditDetails;
}

export interface AppendOptions {
  /** The transaction of the change the row records, so both commit or neither does. */
  executor?: Executor<any>;
  /** Who acted, when that is not the request's caller: the account that has just signed in. */
  actor?: Viewer | null;
}

export interface RequestAudit {
  /** Filled once the operation is parsed. */
  operationName: string | null;
  /**
   * Records an entry once per request: the same action, record and outcome asked for again (a trip selected
   * twice through aliases) leaves one row. Entries of one tick are written in one statement; the promise settles
   * when they are stored, so data is only returned once its reading is on record. Suits reads.
   */
  record(entry: AuditEntry): Promise<void>;
  /**
   * Appends one row now, every time: a sign-in or a change is an event of its own (an account deactivated and
   * reactivated by two aliased mutations of one request leaves two rows, not one). Inside a transaction, pass it
   * as `executor`: the embedded database has one connection, which the open transaction holds.
   */
  append(entry: AuditEntry, options?: AppendOptions): Promise<void>;
}

/**
 * Ids and references often come from the client as sent (probing for ids is worth seeing); bounded, so a refused
 * attempt with a megabyte "id" does not become a megabyte audit row.
 */
const MAX_AUDITED_TEXT_LENGTH = 100;

/**
 * The details of a change that was made hold its values before and after, which the change validated and stored
 * (a template's text, a toggle's target): kept whole up to this length, so the record shows what changed.
 */
const MAX_CHANGE_DETAIL_LENGTH = 10_000;

const bounded = (text: string, limit = MAX_AUDITED_TEXT_LENGTH) => text.slice(0, limit);

function boundedDetails(details: AuditDetails, outcome: AuditEntry['outcome']): AuditDetails {
  const limit = outcome === 'ALLOWED' ? MAX_CHANGE_DETAIL_LENGTH : MAX_AUDITED_TEXT_LENGTH;
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, typeof value === 'string' ? bounded(value, limit) : value]));
}

/** The audit trail writer of one request, bound to its caller and request id. */
export function createRequestAudit(db: Kysely<any>, viewer: Viewer | null, requestId: string): RequestAudit {
  const seen = new Map<string, Promise<void>>();
  let pending: NewAuditEntryRow[] = [];
  let flush: Promise<void> | null = null;

  const rowOf = (entry: AuditEntry, actor: Viewer | null): NewAuditEntryRow => ({
    id: newId(),
    actor_id: actor?.userId ?? null,
    actor_role: actor?.role ?? null,
    tenant_id: actor && !isCenterStaff(actor) ? tenantIdOf(actor) : null,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId === null ? null : bounded(entry.entityId),
    // Operation names are the client's text: bounded like ids, or one request could write megabytes per row.
    operation_name: request.operationName === null ? null : bounded(request.operationName),
    request_id: requestId,
    outcome: entry.outcome,
    details: jsonText(boundedDetails(entry.details ?? {}, entry.outcome)),
    ip_address: null,
  });

  const request: RequestAudit = {
    operationName: null,
    record(entry) {
      const row = rowOf(entry, viewer);
      const key = JSON.stringify([row.action, row.entity_type, row.entity_id, row.outcome]);
      const existing = seen.get(key);
      if (existing) return existing;
      pending.push(row);
      flush ??= Promise.resolve().then(async () => {
        const rows = pending;
        pending = [];
        flush = null;
        await (db as Kysely<AuditDatabase>).insertInto('audit_log').values(rows).modifyEnd(label('recordAuditEntries')).execute();
      });
      const stored = flush;
      seen.set(key, stored);
      return stored;
    },
    async append(entry, options = {}) {
      const executor = (options.executor ?? db) as Kysely<AuditDatabase>;
      const row = rowOf(entry, options.actor === undefined ? viewer : options.actor);
      await executor.insertInto('audit_log').values(row).modifyEnd(label('appendAuditEntry')).execute();
    },
  };
  return request;
}
