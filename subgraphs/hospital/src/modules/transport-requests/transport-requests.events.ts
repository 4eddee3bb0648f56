import { publishEvent, type TypedEvent } from '@medport/events';
import { canReach, lifecycleRank, MILESTONE_COLUMN, newId, overridesCancellation, type TransportStatus } from '@medport/domain';
import type { Transaction } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import type { FacilityRow } from '../facilities/facilities.table.js';
import { insertTripHistory, lockTransportRequest, updateTransportRequest } from './transport-requests.repository.js';
import type { TransportRequestRow, TransportRequestUpdate } from './transport-requests.table.js';

const EVERY_TRIP = { kind: 'ALL' } as const;

/** Tells the other silos that a trip was requested; ems offers it, the center starts its facts. */
export async function publishTripRequested(
  trx: Transaction<HospitalDatabase>,
  trip: TransportRequestRow,
  origin: FacilityRow,
  preferredAgencyIds: string[],
  responseDeadline: Date,
): Promise<void> {
  await publishEvent(trx, 'TripRequested', trip.id, {
    tripId: trip.id,
    hospitalId: trip.hospital_id,
    originFacilityId: trip.origin_facility_id,
    destinationFacilityId: trip.destination_facility_id,
    origin: { latitude: origin.latitude, longitude: origin.longitude },
    transportLevel: trip.transport_level,
    priority: trip.priority,
    specialRequirements: trip.special_requirements,
    requestedAt: trip.requested_at.toISOString(),
    scheduledPickupAt: trip.scheduled_pickup_at?.toISOString() ?? null,
    responseDeadline: responseDeadline.toISOString(),
    preferredAgencyIds,
    createdById: trip.created_by_id,
  });
}

export async function publishTripPlanChanged(trx: Transaction<HospitalDatabase>, trip: TransportRequestRow): Promise<void> {
  await publishEvent(trx, 'TripPlanChanged', trip.id, {
    tripId: trip.id,
    hospitalId: trip.hospital_id,
    version: trip.version,
    destinationFacilityId: trip.destination_facility_id,
    transportLevel: trip.transport_level,
    priority: trip.priority,
    specialRequirements: trip.special_requirements,
    scheduledPickupAt: trip.scheduled_pickup_at?.toISOString() ?? null,
  });
}

/** The authoritative record of a status change, whoever caused it; the other silos follow it. */
export async function publishTripStatusChanged(
  trx: Transaction<HospitalDatabase>,
  trip: TransportRequestRow,
  previousStatus: TransportStatus,
  occurredAt: Date,
): Promise<void> {
  await publishEvent(trx, 'TripStatusChanged', trip.id, {
    tripId: trip.id,
    hospitalId: trip.hospital_id,
    status: trip.status,
    previousStatus,
    occurredAt: occurredAt.toISOString(),
    agencyId: trip.assigned_agency_id,
    unitId: trip.assigned_unit_id,
    cancellation:
      trip.status === 'CANCELLED' && trip.cancellation_reason && trip.cancellation_party
        ? { reason: trip.cancellation_reason, party: trip.cancellation_party }
        : null,
  });
}

/**
 * Whether a report that moves nothing still records when its step happened: a step behind the trip on its way (a
 * report parked and retried after later ones), or a crew's step taken before a cancellation reached it.
 */
function recordsLateStep(current: TransportStatus, reported: TransportStatus): boolean {
  if (reported === 'CANCELLED' || reported === 'EXPIRED' || current === 'EXPIRED') return false;
  return current === 'CANCELLED' || lifecycleRank(reported) < lifecycleRank(current);
}

const REPORTED_AFTER_CANCELLATION = 'Reported by the agency after the trip was cancelled; the trip stays cancelled.';

const CANCELLATION_WITHDRAWN =
  'The crew reported the patient on board after the trip was cancelled; the cancellation was withdrawn and the trip carries on.';

/**
 * ems decided something about a trip: an agency accepted it (ems settles the race), assigned a unit, reported
 * progress, or the offer expired. The hospital, which owns the trip's status, applies it, stamps its history and
 * announces the change to everyone. A report behind the trip changes no status but still records its time, so a
 * step whose event was parked and retried late is not missing from the history and the center's KPIs.
 */
export async function onTripProgressReported(trx: Transaction<HospitalDatabase>, event: TypedEvent<'TripProgressReported'>): Promise<void> {
  const report = event.payload;
  const trip = await lockTransportRequest(trx, EVERY_TRIP, report.tripId);
  // ems only knows trips from this silo's events, so an unknown one is a fault worth parking, not ignoring.
  if (!trip) throw new Error(`Transport request ${report.tripId} is unknown to the hospital silo.`);
  // After acceptance only the accepting agency moves the trip: a misrouted report must never reassign it.
  if (report.status !== 'ACCEPTED' && report.status !== 'EXPIRED' && trip.assigned_agency_id && report.agencyId !== trip.assigned_agency_id) return;

  const occurredAt = new Date(report.occurredAt);
  const column = MILESTONE_COLUMN[report.status];
  const withdrawsCancellation = overridesCancellation(trip.status, report.status);
  let changes: TransportRequestUpdate;
  // A report ahead of the trip by legal steps applies, even one that skips steps (an event parked on the way);
  // one that is not (a repeat, an echo, a late arrival) changes no status.
  if (canReach(trip.status, report.status) || withdrawsCancellation) {
    changes = { status: report.status, [column]: occurredAt };
    if (withdrawsCancellation) {
      Object.assign(changes, { cancelled_at: null, cancellation_reason: null, cancellation_party: null, cancellation_notes: null });
    }
  } else if (recordsLateStep(trip.status, report.status) && trip[column] === null) {
    changes = { [column]: occurredAt };
  } else {
    return;
  }
  // A trip cancelled before the report came stays out of the agency's reach: its time is recorded, but no agency
  // or unit is given a trip (and its patient data) that it never had.
  const afterCancellation = trip.status === 'CANCELLED' && !withdrawsCancellation;
  if (!afterCancellation) {
    if (report.agencyId && report.status !== 'EXPIRED' && !trip.assigned_agency_id) changes.assigned_agency_id = report.agencyId;
    // The unit of a step forward is the unit now; a late step only fills a unit the trip does not know yet.
    if (report.unitId && (changes.status || !trip.assigned_unit_id)) changes.assigned_unit_id = report.unitId;
  }
  const changed = await updateTransportRequest(trx, trip.id, changes);
  await insertTripHistory(trx, {
    id: newId(),
    transport_request_id: trip.id,
    status: report.status,
    occurred_at: occurredAt,
    notes: withdrawsCancellation ? CANCELLATION_WITHDRAWN : afterCancellation ? REPORTED_AFTER_CANCELLATION : null,
    updated_by_id: report.reportedById,
  });
  // A late step is announced with its own status: consumers record its time and, being behind, move nothing.
  await publishTripStatusChanged(trx, changes.status ? changed : { ...changed, status: report.status }, trip.status, occurredAt);
}
