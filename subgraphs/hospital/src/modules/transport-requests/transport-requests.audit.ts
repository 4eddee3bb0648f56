import type { AuditOutcome } from '@medport/domain';
import { GraphQLError } from 'graphql';
import type { HospitalContext } from '../../context.js';

export type TripAuditAction = 'READ_PATIENT_DATA' | 'CREATE_TRANSPORT_REQUEST' | 'UPDATE_TRANSPORT_REQUEST' | 'CANCEL_TRANSPORT_REQUEST';

const ENTITY_TYPE = 'TransportRequest';

/** Ids a client sent go into the trail as sent (probing for ids is worth seeing), but bounded in length. */
export const auditedId = (id: string): string => id.slice(0, 100);

/** Records a read of one trip's patient data; the writer keeps one row per trip, outcome and request. */
export function recordPatientDataRead(context: HospitalContext, entityId: string, outcome: 'ALLOWED' | 'DENIED'): Promise<void> {
  return context.audit.record({ action: 'READ_PATIENT_DATA', entityType: ENTITY_TYPE, entityId, outcome });
}

/**
 * A refusal is DENIED: FORBIDDEN, or NOT_FOUND for the trip itself (which is how a trip outside the caller's scope
 * is refused). Everything else the caller was allowed to try and it failed: bad input, an unknown facility.
 */
function outcomeOf(error: GraphQLError): AuditOutcome {
  const code = error.extensions.code;
  if (code === 'FORBIDDEN') return 'DENIED';
  if (code === 'NOT_FOUND' && error.extensions.typename === ENTITY_TYPE) return 'DENIED';
  return 'FAILED';
}

/**
 * Runs a change to a trip and leaves one audit row for it: ALLOWED with the trip's id once it is stored, DENIED or
 * FAILED with the error code when it is refused or fails. Runs after `work` has ended its transaction, because
 * the audit writer uses its own connection (and the embedded database has only one).
 */
export async function auditedChange<T extends { id: string }>(
  context: HospitalContext,
  action: TripAuditAction,
  entityId: string | null,
  details: Record<string, string | null>,
  work: () => Promise<T>,
): Promise<T> {
  let trip: T;
  try {
    trip = await work();
  } catch (error) {
    // Bugs are not audited outcomes; they go to the error log. If recording a refusal fails, its error replaces
    // the refusal: a refusal must not go unrecorded, and the caller is refused either way.
    if (error instanceof GraphQLError) {
      const code = typeof error.extensions.code === 'string' ? error.extensions.code : null;
      await context.audit.record({ action, entityType: ENTITY_TYPE, entityId, outcome: outcomeOf(error), details: { ...details, code } });
    }
    throw error;
  }
  await context.audit.record({ action, entityType: ENTITY_TYPE, entityId: trip.id, outcome: 'ALLOWED', details });
  return trip;
}
