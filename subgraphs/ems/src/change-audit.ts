import type { AuditEntry } from '@medport/audit';
import type { AuditOutcome } from '@medport/domain';
import { GraphQLError } from 'graphql';
import type { EmsContext } from './context.js';
import { isHiddenRecord } from './scope.js';

export interface AuditedChange<T> {
  /** e.g. CREATE_UNIT, UPDATE_AGENCY, DELETE_SERVICE_AREA. */
  action: string;
  entityType: string;
  /** The record changed; null for a create, whose record exists only once it succeeded (see `idOf`). */
  entityId: string | null;
  /** The created record's id, taken from the result. */
  idOf?: (result: T) => string;
  /** References only (the agency a record is created for, the fields changed), never values; at most 100 characters each. */
  details?: AuditEntry['details'];
}

const MAX_ID_LENGTH = 100;

/** Errors that mean the caller was allowed, but the change could not be made as asked. */
const FAILURE_CODES = new Set(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND']);

function outcomeOf(error: unknown): { outcome: AuditOutcome; code: string } {
  const code = error instanceof GraphQLError ? String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR') : 'INTERNAL_SERVER_ERROR';
  // A record of another tenant answers NOT_FOUND like an unknown id, but it was a refused attempt all the same.
  if (code === 'FORBIDDEN' || isHiddenRecord(error)) return { outcome: 'DENIED', code };
  return { outcome: 'FAILED', code: FAILURE_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR' };
}

/**
 * Runs one change and leaves its trace in the ems audit trail: ALLOWED once it is done, DENIED when the caller was
 * refused (FORBIDDEN, or a record outside its scope), FAILED when the change was allowed but could not be made.
 * Authorization happens inside `run`, so no path around it leaves no record.
 */
export async function auditedChange<T>(context: EmsContext, change: AuditedChange<T>, run: () => Promise<T>): Promise<T> {
  // Ids come from the client; a refused attempt with a megabyte "id" must not become a megabyte audit row.
  const details = Object.fromEntries(
    Object.entries(change.details ?? {}).map(([key, value]) => [key, typeof value === 'string' ? value.slice(0, MAX_ID_LENGTH) : value]),
  );
  const entry = { action: change.action, entityType: change.entityType, details };
  const entityId = change.entityId?.slice(0, MAX_ID_LENGTH) ?? null;
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const { outcome, code } = outcomeOf(error);
    try {
      await context.audit.record({ ...entry, entityId, outcome, details: { ...entry.details, code } });
    } catch (auditError) {
      // The refusal or failure stands and reaches the client; the lost audit row must reach an operator.
      context.logger.error({ err: auditError, action: change.action, outcome }, 'could not record an audit entry');
    }
    throw error;
  }
  // The change is made: when its record cannot be written, the request fails rather than pass unaudited.
  await context.audit.record({ ...entry, entityId: entityId ?? change.idOf?.(result) ?? null, outcome: 'ALLOWED' });
  return result;
}
