import type { AuditOutcome } from '@medport/domain';
import { isHiddenRecord } from '@medport/graphql';
import { inTransaction } from '@medport/database';
import { GraphQLError } from 'graphql';
import type { Kysely, Transaction } from 'kysely';
import { refusalOnRecord } from './refusals.js';
import type { AuditDetails, RequestAudit } from './writer.js';

/** What an audited change needs of its request: the silo's database and the request's audit writer. */
export interface AuditedChangeContext<DB> {
  db: Kysely<DB>;
  audit: RequestAudit;
}

export interface AuditedChange {
  /** What is attempted, e.g. CREATE_USER, UPDATE_UNIT, CANCEL_TRANSPORT_REQUEST. */
  action: string;
  entityType: string;
  /** The record being changed, as the client named it; null for one being created. */
  entityId: string | null;
  /** References that describe the attempt (ids, field names, flags); never an email, a password or patient data. */
  details?: AuditDetails;
}

/** Stores a change: `write` runs in a transaction, and the id of the record it returns is the audited entity. */
export type Commit<DB> = <Result>(write: (trx: Transaction<DB>) => Promise<Result>, entityIdOf: (result: Result) => string) => Promise<Result>;

/** Codes of a change refused for what it asked (its input, or a record that is not there): FAILED, not DENIED. */
const FAILED_CODES: ReadonlySet<unknown> = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);

function refusalOf(error: unknown): { outcome: AuditOutcome; details: AuditDetails } | null {
  if (!(error instanceof GraphQLError)) return null;
  const { code, field } = error.extensions;
  const details: AuditDetails = { code: String(code), ...(typeof field === 'string' ? { field } : {}) };
  // A record outside the caller's scope answers NOT_FOUND like an unknown id, but it was a refused attempt all the same.
  if (code === 'FORBIDDEN' || isHiddenRecord(error)) return { outcome: 'DENIED', details };
  if (FAILED_CODES.has(code)) return { outcome: 'FAILED', details };
  return null;
}

/**
 * Runs one audited change. `change` makes its checks (the role first, so a refused caller learns nothing about its
 * input), then stores through `commit`, which appends the ALLOWED row in the same transaction as the write: a
 * change is never on record without having happened, nor stored without its record. A FORBIDDEN refusal, or the
 * NOT_FOUND of a record hidden from the caller (`hiddenRecord`), leaves a DENIED row; BAD_USER_INPUT, CONFLICT or
 * any other NOT_FOUND a FAILED row naming the code. Any other error is a bug or an outage: it propagates as it
 * is, and the rolled-back change needs no row. If a refusal cannot be recorded, that error replaces the refusal:
 * a refusal must not go unrecorded, and the caller is refused either way.
 */
export async function auditedChange<DB, T>(
  context: AuditedChangeContext<DB>,
  target: AuditedChange,
  change: (commit: Commit<DB>) => Promise<T>,
): Promise<T> {
  let committed = false;
  const commit: Commit<DB> = async (write, entityIdOf) => {
    // Joins the request's transaction when it has one (a mutation sent with an idempotency key).
    const result = await inTransaction(context.db, async (trx) => {
      const stored = await write(trx);
      await context.audit.append({ ...target, entityId: entityIdOf(stored), outcome: 'ALLOWED' }, { executor: trx });
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
      await context.audit.append({ ...target, outcome: refusal.outcome, details: { ...target.details, ...refusal.details } });
      refusalOnRecord(error);
    }
    throw error;
  }
}
