import { isCenterStaff, seesTrip, tenantScopeOf, worksFor } from '@medport/auth';
import type { PageArgs } from '@medport/graphql';
import type { TransportStatus } from '@medport/domain';
import type { EmsContext } from '../../context.js';
import {
  assignUnit,
  availableTripConnection,
  ownResponse,
  reportTripProgress,
  respondToTrip,
  type RespondToTripInput,
} from './trips.manager.js';
import type { TripResponseRow, TripRow } from './trips.table.js';
import { subscribeToOffers, type TripOfferChange } from './trips.live.js';
import type { LiveDelivery } from '@medport/server';

interface TransportRequestReference {
  id: string;
}

const reference = (__typename: 'Hospital' | 'Facility', id: string) => ({ __typename, id });

/**
 * The hospital's trip, for a caller who may see it there; null otherwise. The hospital would resolve a reference
 * outside the caller's scope to nothing, and the gateway would report the missing fields of a trip it was promised.
 */
function tripReference(context: EmsContext, trip: TripRow): TransportRequestReference | null {
  return seesTrip(tenantScopeOf(context.viewer), { hospitalId: trip.hospital_id, assignedAgencyId: trip.assigned_agency_id }) ? { id: trip.id } : null;
}

export const tripResolvers = {
  Query: {
    availableTrips: (_: unknown, args: PageArgs, context: EmsContext) => availableTripConnection(context, args),
  },
  Mutation: {
    respondToTrip: (_: unknown, args: { tripId: string; input: RespondToTripInput }, context: EmsContext) =>
      respondToTrip(context, args.tripId, args.input),
    assignUnit: (_: unknown, args: { tripId: string; unitId: string }, context: EmsContext) => assignUnit(context, args.tripId, args.unitId),
    reportTripProgress: (_: unknown, args: { tripId: string; status: TransportStatus; notes?: string | null }, context: EmsContext) =>
      reportTripProgress(context, args.tripId, args.status, args.notes),
  },
  Subscription: {
    tripOffered: {
      subscribe: (_: unknown, args: { agencyId?: string | null }, context: EmsContext) => subscribeToOffers(context, args.agencyId),
      resolve: (delivery: LiveDelivery<TripOfferChange>) => delivery.value,
    },
  },
  TripOfferChange: {
    agency: (change: TripOfferChange, _: unknown, context: EmsContext) => context.loaders.agency.load(change.agencyId),
    offer: (change: TripOfferChange) => change.trip,
  },
  TransportRequest: {
    // The trip itself is the hospital's; here it is its id, and its fields are this silo's rows. A trip ems never
    // saw simply has no responses.
    __resolveReference: (reference: TransportRequestReference) => ({ id: reference.id }),
    // Only the answers the caller may see: an agency's own, a hospital's own trips', all of them for the center.
    responses: (trip: TransportRequestReference, _: unknown, context: EmsContext) => context.loaders.responsesByTrip.load(trip.id),
  },
  AgencyResponse: {
    agency: (response: TripResponseRow, _: unknown, context: EmsContext) => context.loaders.agency.load(response.agency_id),
    trip: async (response: TripResponseRow, _: unknown, context: EmsContext) => {
      const trip = await context.loaders.tripCopy.load(response.trip_id);
      return trip ? tripReference(context, trip) : null;
    },
    etaMinutes: (response: TripResponseRow) => response.eta_minutes,
    bidAmount: (response: TripResponseRow) => response.bid_amount,
    declineReason: (response: TripResponseRow) => response.decline_reason,
    // What an agency writes for its own records: the hospital sees the answer, never what the agency noted about it.
    notes: (response: TripResponseRow, _: unknown, context: EmsContext) => {
      const viewer = context.viewer;
      return viewer && (isCenterStaff(viewer) || worksFor(viewer, response.agency_id)) ? response.notes : null;
    },
    respondedAt: (response: TripResponseRow) => response.responded_at,
  },
  TripOffer: {
    trip: (trip: TripRow, _: unknown, context: EmsContext) => tripReference(context, trip),
    hospital: (trip: TripRow) => reference('Hospital', trip.hospital_id),
    origin: (trip: TripRow) => reference('Facility', trip.origin_facility_id),
    destination: (trip: TripRow) => reference('Facility', trip.destination_facility_id),
    transportLevel: (trip: TripRow) => trip.transport_level,
    // The hospital treats a trip's needs as patient data; its reading is on record before it is returned here too.
    specialRequirements: async (trip: TripRow, _: unknown, context: EmsContext) => {
      await context.audit.record({ action: 'READ_PATIENT_DATA', entityType: 'TransportRequest', entityId: trip.id, outcome: 'ALLOWED' });
      return trip.special_requirements;
    },
    requestedAt: (trip: TripRow) => trip.requested_at,
    scheduledPickupAt: (trip: TripRow) => trip.scheduled_pickup_at,
    responseDeadline: (trip: TripRow) => trip.response_deadline,
    response: (trip: TripRow, _: unknown, context: EmsContext) => ownResponse(context, trip.id),
    assignedUnit: (trip: TripRow, _: unknown, context: EmsContext) => (trip.assigned_unit_id ? context.loaders.unit.load(trip.assigned_unit_id) : null),
  },
};
