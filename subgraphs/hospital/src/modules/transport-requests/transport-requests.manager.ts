import { inTransaction } from '@medport/database';
import {
  canTransition,
  isCancellable,
  MILESTONE_COLUMN,
  newId,
  type CancellationParty,
  type CancellationReason,
  type SpecialRequirement,
  type TransportLevel,
  type TransportPriority,
} from '@medport/domain';
import { badInput, isId, notFound, optionalText, requireDistinct, requireTimeRange, type TimeRange } from '@medport/graphql';
import type { HospitalContext } from '../../context.js';
import type { FacilityRow } from '../facilities/facilities.table.js';
import {
  insertTransportRequest,
  insertTripHistory,
  lockTransportRequest,
  updateTransportRequest,
  type TransportRequestFilter,
} from './transport-requests.repository.js';
import type { TransportRequestRow, TransportRequestUpdate } from './transport-requests.table.js';

export interface CreateTransportRequestInput {
  originFacilityId: string;
  destinationFacilityId: string;
  patientReference: string;
  transportLevel: TransportLevel;
  priority: TransportPriority;
  specialRequirements?: SpecialRequirement[] | null;
  scheduledPickupAt?: Date | null;
  notes?: string | null;
}

export interface UpdateTransportRequestInput {
  destinationFacilityId?: string | null;
  transportLevel?: TransportLevel | null;
  priority?: TransportPriority | null;
  specialRequirements?: SpecialRequirement[] | null;
  scheduledPickupAt?: Date | null;
  notes?: string | null;
}

export interface CancelTransportRequestInput {
  reason: CancellationReason;
  party: CancellationParty;
  notes?: string | null;
}

export interface TransportRequestFilterInput {
  hospitalId?: string | null;
  status?: TransportRequestFilter['statuses'];
  transportLevel?: TransportRequestFilter['transportLevels'];
  priority?: TransportRequestFilter['priorities'];
  assignedAgencyId?: string | null;
  originFacilityId?: string | null;
  requested?: TimeRange | null;
}

/**
 * An opaque reference such as an MRN or encounter number. Spaces are refused so that a patient's name is not
 * typed here by mistake: trip records travel to agencies and analytics, names must not.
 */
const PATIENT_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$/;

export function toRepositoryFilter(input: TransportRequestFilterInput): TransportRequestFilter {
  const range = requireTimeRange(input.requested ?? {}, 'filter.requested');
  for (const [field, value] of [
    ['filter.hospitalId', input.hospitalId],
    ['filter.assignedAgencyId', input.assignedAgencyId],
    ['filter.originFacilityId', input.originFacilityId],
  ] as const) {
    if (value && !isId(value)) throw badInput(`\`${field}\` is not a valid id.`, field);
  }
  return {
    hospitalId: input.hospitalId ?? null,
    statuses: input.status ?? null,
    transportLevels: input.transportLevel ?? null,
    priorities: input.priority ?? null,
    assignedAgencyId: input.assignedAgencyId ?? null,
    originFacilityId: input.originFacilityId ?? null,
    requestedFrom: range.from ?? null,
    requestedTo: range.to ?? null,
  };
}

export async function getTransportRequest(context: HospitalContext, id: string): Promise<TransportRequestRow> {
  const trip = isId(id) ? await context.loaders.transportRequest.load(id) : null;
  if (!trip) throw notFound('TransportRequest', id);
  return trip;
}

async function activeFacility(context: HospitalContext, id: string, field: string): Promise<FacilityRow> {
  const facility = isId(id) ? await context.loaders.facility.load(id) : null;
  if (!facility) throw notFound('Facility', id);
  if (!facility.is_active) throw badInput(`\`${field}\`: facility ${id} is inactive.`, field);
  return facility;
}

function requireScheduledPickup(value: Date | null | undefined): Date | null {
  if (!value) return null;
  // A pickup scheduled more than a day back is a typo, not a plan.
  if (value.getTime() < Date.now() - 24 * 60 * 60 * 1000) {
    throw badInput('`scheduledPickupAt` must not be more than a day in the past.', 'scheduledPickupAt');
  }
  return value;
}

export async function createTransportRequest(context: HospitalContext, input: CreateTransportRequestInput): Promise<TransportRequestRow> {
  const patientReference = input.patientReference.trim();
  if (!PATIENT_REFERENCE.test(patientReference)) {
    throw badInput(
      '`patientReference` must be an opaque id (3–64 letters, digits or . _ : -), such as an MRN; never a name.',
      'patientReference',
    );
  }
  if (input.originFacilityId === input.destinationFacilityId) {
    throw badInput('Origin and destination must be different facilities.', 'destinationFacilityId');
  }
  const origin = await activeFacility(context, input.originFacilityId, 'originFacilityId');
  const destination = await activeFacility(context, input.destinationFacilityId, 'destinationFacilityId');
  const specialRequirements = [...requireDistinct(input.specialRequirements ?? [], 'specialRequirements')];
  const scheduledPickupAt = requireScheduledPickup(input.scheduledPickupAt);
  const notes = optionalText(input.notes, 'notes');
  const now = new Date();

  return inTransaction(context.db, async (trx) => {
    const trip = await insertTransportRequest(trx, {
      id: newId(),
      // The requesting hospital is the one sending the patient.
      hospital_id: origin.hospital_id,
      patient_reference: patientReference,
      origin_facility_id: origin.id,
      destination_facility_id: destination.id,
      transport_level: input.transportLevel,
      priority: input.priority,
      status: 'REQUESTED',
      special_requirements: specialRequirements,
      notes,
      scheduled_pickup_at: scheduledPickupAt,
      requested_at: now,
      created_by_id: context.viewer?.userId ?? null,
    });
    await insertTripHistory(trx, {
      id: newId(),
      transport_request_id: trip.id,
      status: 'REQUESTED',
      occurred_at: now,
      notes: null,
      updated_by_id: context.viewer?.userId ?? null,
    });
    return trip;
  });
}

export async function changeTransportRequest(
  context: HospitalContext,
  id: string,
  input: UpdateTransportRequestInput,
): Promise<TransportRequestRow> {
  if (!isId(id)) throw notFound('TransportRequest', id);
  const changes: TransportRequestUpdate = {};
  if (input.destinationFacilityId != null) {
    changes.destination_facility_id = (await activeFacility(context, input.destinationFacilityId, 'destinationFacilityId')).id;
  }
  if (input.transportLevel != null) changes.transport_level = input.transportLevel;
  if (input.priority != null) changes.priority = input.priority;
  if (input.specialRequirements != null) {
    changes.special_requirements = [...requireDistinct(input.specialRequirements, 'specialRequirements')];
  }
  if (input.scheduledPickupAt !== undefined) changes.scheduled_pickup_at = requireScheduledPickup(input.scheduledPickupAt);
  if (input.notes !== undefined) changes.notes = optionalText(input.notes, 'notes');

  return inTransaction(context.db, async (trx) => {
    const trip = await lockTransportRequest(trx, id);
    if (!trip) throw notFound('TransportRequest', id);
    // Once the patient is on board (or the trip has ended) its details are history, not a plan.
    if (!isCancellable(trip.status)) {
      throw badInput(`A ${trip.status} transport request can no longer be changed.`, 'id');
    }
    if (changes.destination_facility_id === trip.origin_facility_id) {
      throw badInput('Origin and destination must be different facilities.', 'destinationFacilityId');
    }
    if (Object.keys(changes).length === 0) return trip;
    return updateTransportRequest(trx, id, changes);
  });
}

export async function cancelTransportRequest(
  context: HospitalContext,
  id: string,
  input: CancelTransportRequestInput,
): Promise<TransportRequestRow> {
  if (!isId(id)) throw notFound('TransportRequest', id);
  const notes = optionalText(input.notes, 'notes');
  if (input.reason === 'OTHER' && !notes) throw badInput('Cancelling for reason OTHER needs `notes` that say why.', 'notes');
  return inTransaction(context.db, async (trx) => {
    const trip = await lockTransportRequest(trx, id);
    if (!trip) throw notFound('TransportRequest', id);
    if (!canTransition(trip.status, 'CANCELLED')) {
      throw badInput(`A ${trip.status} transport request cannot be cancelled.`, 'id');
    }
    const now = new Date();
    const cancelled = await updateTransportRequest(trx, id, {
      status: 'CANCELLED',
      [MILESTONE_COLUMN.CANCELLED]: now,
      cancellation_reason: input.reason,
      cancellation_party: input.party,
      cancellation_notes: notes,
    });
    await insertTripHistory(trx, {
      id: newId(),
      transport_request_id: id,
      status: 'CANCELLED',
      occurred_at: now,
      notes,
      updated_by_id: context.viewer?.userId ?? null,
    });
    return cancelled;
  });
}
