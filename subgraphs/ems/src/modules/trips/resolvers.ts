import type { EmsContext } from '../../context.js';
import type { TripResponseRow } from './trips.table.js';

interface TransportRequestReference {
  id: string;
}

export const tripResolvers = {
  TransportRequest: {
    // The trip itself is the hospital's; here it is its id, and its fields are this silo's rows. A trip ems never
    // saw simply has no responses.
    __resolveReference: (reference: TransportRequestReference) => ({ id: reference.id }),
    // Only the answers the caller may see: an agency's own, a hospital's own trips', all of them for the center.
    responses: (trip: TransportRequestReference, _: unknown, context: EmsContext) => context.loaders.responsesByTrip.load(trip.id),
  },
  AgencyResponse: {
    agency: (response: TripResponseRow, _: unknown, context: EmsContext) => context.loaders.agency.load(response.agency_id),
    trip: (response: TripResponseRow): TransportRequestReference => ({ id: response.trip_id }),
    etaMinutes: (response: TripResponseRow) => response.eta_minutes,
    bidAmount: (response: TripResponseRow) => response.bid_amount,
    declineReason: (response: TripResponseRow) => response.decline_reason,
    respondedAt: (response: TripResponseRow) => response.responded_at,
  },
};
