import { ANNOUNCED_FEATURE_TOGGLES, canReach } from '@medport/domain';
import { publishEvents, type TypedEvent } from '@medport/events';
import { isId } from '@medport/graphql';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { findDispatchCandidates } from '../agencies/agencies.repository.js';
import { isFeatureOn } from '../feature-toggles/feature-toggles.js';
import { findFeatureToggle } from '../feature-toggles/feature-toggles.repository.js';
import { chooseAgencies } from './trips.dispatch.js';
import { unitFollowsTrip } from './trips.progress.js';
import {
  applyTripPlan,
  insertOffers,
  insertTripCopies,
  lockTrip,
  updateTrip,
} from './trips.repository.js';
import { endOffers, withdrawAcceptance, withdrawOffersForLevel } from './trips.offers.js';
import type { TripRow } from './trips.table.js';

/**
 * Hospitals requested trips: ems keeps a copy of each (what agencies need to decide, nothing about the patient)
 * and offers it, then says to whom, even to nobody: a trip no agency can take expires at its deadline. A request
 * applied before finds its copy and offers nothing again. Set-wise, a few statements for a whole batch, so that a
 * backlog after an outage is caught up quickly.
 */
export async function onTripsRequested(trx: Transaction<EmsDatabase>, events: TypedEvent<'TripRequested'>[]): Promise<void> {
  const requests = events.map((event) => event.payload);
  const inserted = await insertTripCopies(
    trx,
    requests.map((request) => ({
      id: request.tripId,
      hospital_id: request.hospitalId,
      origin_facility_id: request.originFacilityId,
      destination_facility_id: request.destinationFacilityId,
      transport_level: request.transportLevel,
      priority: request.priority,
      special_requirements: request.specialRequirements,
      status: 'REQUESTED' as const,
      requested_at: new Date(request.requestedAt),
      scheduled_pickup_at: request.scheduledPickupAt ? new Date(request.scheduledPickupAt) : null,
      response_deadline: new Date(request.responseDeadline),
      assigned_agency_id: null,
      assigned_unit_id: null,
      // A new transport request is the hospital's version 1; its plan changes come with later versions.
      version: 1,
    })),
  );
  // Each new copy once: the first request of a trip inserted it, as the single-event path would have.
  const fresh = requests.filter((request) => inserted.delete(request.tripId.toLowerCase()));
  if (fresh.length === 0) return;
  const candidates = await findDispatchCandidates(trx);
  const geographicOffers = await findFeatureToggle(trx, ANNOUNCED_FEATURE_TOGGLES.geographicOffers);
  const offers = fresh.map((request) => {
    // Asked of the requesting hospital as a whole; offering geographically is what ems did before toggles existed.
    const geographic = isFeatureOn(geographicOffers, { tenantKind: 'HOSPITAL', tenantId: request.hospitalId }, true);
    return { tripId: request.tripId.toLowerCase(), hospitalId: request.hospitalId, agencyIds: chooseAgencies(candidates, request, { geographic }) };
  });
  const offeredAt = new Date();
  await insertOffers(trx, offers, offeredAt);
  await publishEvents(
    trx,
    'TripOffered',
    offers.map(({ tripId, hospitalId, agencyIds }) => ({ aggregateId: tripId, payload: { tripId, hospitalId, agencyIds, offeredAt: offeredAt.toISOString() } })),
  );
}

/** One trip requested: the same as a batch of one (a parked request's retry comes this way). */
export function onTripRequested(trx: Transaction<EmsDatabase>, event: TypedEvent<'TripRequested'>): Promise<void> {
  return onTripsRequested(trx, [event]);
}

/**
 * The copy of the trip a later event of the hospital is about, locked. ems learns of a trip only from its
 * TripRequested, which comes before every other event of the trip in the hospital's feed; a trip missing here means
 * that request failed and is parked. An event about it must then fail too, and park behind it, rather than be
 * recorded as applied and lost: a cancellation dropped now would let the retried request bring the trip back as
 * REQUESTED. An operator retries the parked events in order, the request first.
 */
async function lockKnownTrip(trx: Transaction<EmsDatabase>, tripId: string): Promise<TripRow> {
  // No trip can have an id that is not a UUID: the event can never apply, and parking it shows the fault.
  if (!isId(tripId)) throw new Error(`Transport request ${JSON.stringify(tripId)} is not a valid id; the ems silo can never apply it.`);
  const trip = await lockTrip(trx, tripId);
  if (!trip) throw new Error(`Transport request ${tripId} is unknown to the ems silo.`);
  return trip;
}

/**
 * The hospital changed a trip's plan: applied when it is newer than the plan the copy holds, ignored otherwise. A
 * trip still looking for an agency whose level changed withdraws the offers waiting at agencies that do not provide
 * the new level: they could never accept it, and would only wait for a deadline.
 */
export async function onTripPlanChanged(trx: Transaction<EmsDatabase>, event: TypedEvent<'TripPlanChanged'>): Promise<void> {
  const plan = event.payload;
  // Locked like every change to a trip, so an acceptance sees the level before the plan or after it, never between.
  const trip = await lockKnownTrip(trx, plan.tripId);
  const planned = await applyTripPlan(trx, trip.id, plan.version, {
    destination_facility_id: plan.destinationFacilityId,
    transport_level: plan.transportLevel,
    priority: plan.priority,
    special_requirements: plan.specialRequirements,
    scheduled_pickup_at: plan.scheduledPickupAt ? new Date(plan.scheduledPickupAt) : null,
  });
  if (!planned || trip.status !== 'REQUESTED' || planned.transport_level === trip.transport_level) return;
  // Nobody new is offered the trip: dispatch starts from the hospital's preferred agencies, and only TripRequested
  // carries that list, so offers made here would skip them. The agencies still offered it keep their offers.
  await withdrawOffersForLevel(trx, trip.id, planned.transport_level);
}

/**
 * The hospital owns a trip's status; the copy follows it forward only. The hospital also echoes every status ems
 * caused itself (an acceptance, crew progress), and those arrive when the copy is already there or further: a
 * status the copy cannot reach by legal steps is behind it, and changes nothing. A status ahead of the copy
 * (the hospital cancelled, or expired the trip) ends the offers still waiting, and moves the unit along: a
 * cancelled trip frees its unit.
 */
export async function onTripStatusChanged(trx: Transaction<EmsDatabase>, event: TypedEvent<'TripStatusChanged'>): Promise<void> {
  const change = event.payload;
  const trip = await lockKnownTrip(trx, change.tripId);
  // The hospital owns a trip's status: when ems expired the offer while the hospital cancelled the trip, both
  // ends are final, and the silos settle on the hospital's.
  const settlesOnHospitalsEnd = trip.status === 'EXPIRED' && change.status === 'CANCELLED';
  if (!canReach(trip.status, change.status) && !settlesOnHospitalsEnd) return;
  // The hospital's cancellation wins over an acceptance it had not applied when it cancelled (ems was down, or the
  // two crossed): the hospital's trip has no agency, so neither has the copy, and every silo agrees nobody held it.
  const acceptanceLost = change.status === 'CANCELLED' && change.agencyId === null && trip.assigned_agency_id !== null;
  await updateTrip(trx, trip.id, { status: change.status, ...(acceptanceLost ? { assigned_agency_id: null, assigned_unit_id: null } : {}) });
  await endOffers(trx, [trip.id], change.status === 'EXPIRED' ? 'OFFER_EXPIRED' : 'TRIP_CANCELLED', new Date(change.occurredAt));
  if (acceptanceLost) await withdrawAcceptance(trx, trip.id, new Date(change.occurredAt));
  if (trip.assigned_unit_id) await unitFollowsTrip(trx, trip.assigned_unit_id, change.status);
}
