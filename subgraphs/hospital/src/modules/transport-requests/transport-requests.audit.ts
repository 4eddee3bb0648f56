import type { AuditDetails, AuditedChange } from '@medport/audit';
import { hiddenRecord } from '@medport/graphql';
import type { GraphQLError } from 'graphql';
import type { HospitalContext } from '../../context.js';

export type TripAuditAction = 'READ_PATIENT_DATA' | 'CREATE_TRANSPORT_REQUEST' | 'UPDATE_TRANSPORT_REQUEST' | 'CANCEL_TRANSPORT_REQUEST';

const ENTITY_TYPE = 'TransportRequest';

/** Records a read of one trip's patient data; the writer keeps one row per trip, outcome and request. */
export function recordPatientDataRead(context: HospitalContext, entityId: string, outcome: 'ALLOWED' | 'DENIED'): Promise<void> {
  return context.audit.record({ action: 'READ_PATIENT_DATA', entityType: ENTITY_TYPE, entityId, outcome });
}

/** A change to one trip, for `auditedChange`: ids go into the trail as the client sent them (probing is worth seeing). */
export function tripChange(action: Exclude<TripAuditAction, 'READ_PATIENT_DATA'>, entityId: string | null, details: AuditDetails): AuditedChange {
  return { action, entityType: ENTITY_TYPE, entityId, details };
}

/**
 * The NOT_FOUND of a trip the caller may not change: one outside its scope and one that does not exist look the
 * same to it, and either is a refused attempt (DENIED) on record.
 */
export const tripNotVisible = (id: string): GraphQLError => hiddenRecord(ENTITY_TYPE, id);
