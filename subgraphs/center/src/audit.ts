import { createRequestAudit, type AuditEntry } from '@medport/audit';
import type { Viewer } from '@medport/auth';
import type { Executor } from '@medport/database';
import type { AuditOutcome } from '@medport/domain';
import { GraphQLError } from 'graphql';
import type { Transaction } from 'kysely';
import type { CenterContext } from './context.js';
import type { CenterDatabase } from './database.js';

/** The actions the center writes to its audit trail (`action` of its audit_log rows). */
export const AuditAction = {
  LOGIN: 'LOGIN',
  LOGOUT: 'LOGOUT',
  REFRESH_TOKEN_REUSE: 'REFRESH_TOKEN_REUSE',
  ROTATE_SIGNING_KEY: 'ROTATE_SIGNING_KEY',
  CREATE_USER: 'CREATE_USER',
  SET_USER_ACTIVE: 'SET_USER_ACTIVE',
  CREATE_HOSPITAL: 'CREATE_HOSPITAL',
  UPDATE_HOSPITAL: 'UPDATE_HOSPITAL',
} as const;

export type AuditDetails = NonNullable<AuditEntry['details']>;

export interface AuditOptions {
  /** The transaction of the change the row records, so both commit or neither does. */
  executor?: Executor<CenterDatabase>;
  /** Who acted, when that is not the request's caller: the account that has just signed in. */
  actor?: Viewer | null;
}

/**
 * Appends one row to the center's audit trail with the shared writer, stamped with this request's id and operation
 * name. `context.audit.record` keeps one row per action, record and outcome in a request, which suits reads; a
 * sign-in or a change is an event of its own, so here every call appends (an account deactivated and reactivated
 * by two aliased mutations of one request leaves two rows, not one).
 */
export async function appendAuditEntry(context: CenterContext, entry: AuditEntry, options: AuditOptions = {}): Promise<void> {
  const writer = createRequestAudit(options.executor ?? context.db, options.actor === undefined ? context.viewer : options.actor, context.requestId);
  writer.operationName = context.audit.operationName;
  await writer.record(entry);
}

/** Codes of a change refused for what it asked (its input, or a record that is not there): FAILED, not DENIED. */
const FAILED_CODES: ReadonlySet<unknown> = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);

function refusalOf(error: unknown): { outcome: AuditOutcome; details: AuditDetails } | null {
  if (!(error instanceof GraphQLError)) return null;
  const { code, field } = error.extensions;
  const details: AuditDetails = { code: String(code), ...(typeof field === 'string' ? { field } : {}) };
  if (code === 'FORBIDDEN') return { outcome: 'DENIED', details };
  if (FAILED_CODES.has(code)) return { outcome: 'FAILED', details };
  return null;
}

export interface AuditedChange {
  action: string;
  entityType: string;
  /** The record being changed, when it exists before the change; null for one being created. */
  entityId: string | null;
  /** References that describe the attempt (ids, field names, flags); never an email, a password or patient data. */
  details?: AuditDetails;
}

/** Stores a change: `write` runs in a transaction, and the id of the record it returns is the audited entity. */
export type Commit = <Result>(write: (trx: Transaction<CenterDatabase>) => Promise<Result>, entityIdOf: (result: Result) => string) => Promise<Result>;

/**
 * Runs one audited change. `change` makes its checks (the role first, so a refused caller learns nothing about its
 * input), then stores through `commit`, which appends the ALLOWED row in the same transaction as the write: a
 * change is never on record without having happened, nor stored without its record. A FORBIDDEN refusal leaves a
 * DENIED row; BAD_USER_INPUT, CONFLICT or NOT_FOUND a FAILED row naming the code. Any other error is a bug or an
 * outage: it propagates as it is, and the rolled-back change needs no row.
 */
export async function auditedChange<T>(context: CenterContext, target: AuditedChange, change: (commit: Commit) => Promise<T>): Promise<T> {
  let committed = false;
  const commit: Commit = async (write, entityIdOf) => {
    const result = await context.db.transaction().execute(async (trx) => {
      const stored = await write(trx);
      await appendAuditEntry(context, { ...target, entityId: entityIdOf(stored), outcome: 'ALLOWED' }, { executor: trx });
      return stored;
    });
    committed = true;
    return result;
  };
  try {
    const result = await change(commit);
    if (!committed) throw new Error(`${target.action} returned without storing its change, so it has no audit record.`);
    return result;
  } catch (error) {
    // Once the change is stored its ALLOWED row stands; nothing after it can turn it into a refusal.
    const refusal = committed ? null : refusalOf(error);
    if (refusal) {
      await appendAuditEntry(context, { ...target, outcome: refusal.outcome, details: { ...target.details, ...refusal.details } });
    }
    throw error;
  }
}
