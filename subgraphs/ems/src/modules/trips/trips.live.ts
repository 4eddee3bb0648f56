import { CENTER_STAFF_ROLES, forbidden, isCenterStaff, requireRole, sameId } from '@medport/auth';
import type { OfferChange, OfferEndReason } from '@medport/domain';
import type { TypedEvent } from '@medport/events';
import { liveSubscription } from '@medport/server';
import type { EmsContext } from '../../context.js';
import { OFFER_READERS } from './trips.manager.js';
import { findTrip } from './trips.repository.js';
import type { TripRow } from './trips.table.js';

/** A trip offered to an agency, or its offer ended, as `Subscription.tripOffered` delivers it. */
export interface TripOfferChange {
  change: OfferChange;
  reason: OfferEndReason | null;
  agencyId: string;
  trip: TripRow;
  occurredAt: string;
}

/**
 * The offers of the caller's agency as they come and go, from this silo's outbox: OFFERED when a trip is offered to
 * it, WITHDRAWN when the offer ends before the agency answered. EMS accounts see their own agency's only; center
 * staff see every agency's, or one agency's with `agencyId`. Hospitals never see offers (FORBIDDEN).
 */
export async function subscribeToOffers(context: EmsContext, agencyId: string | null | undefined) {
  const viewer = requireRole(context.viewer, [...OFFER_READERS, ...CENTER_STAFF_ROLES], "follow an agency's offers");
  if (!isCenterStaff(viewer) && agencyId != null && !sameId(agencyId, viewer.agencyId)) {
    throw forbidden('EMS accounts follow the offers of their own agency only.');
  }
  const watched = isCenterStaff(viewer) ? (agencyId ?? null) : viewer.agencyId;
  const isWatched = (id: string) => watched === null || sameId(id, watched);
  return liveSubscription<TripOfferChange>(context.live, ['TripOffered', 'TripOffersEnded'], async (event) => {
    const offer = event as TypedEvent<'TripOffered'> | TypedEvent<'TripOffersEnded'>;
    const agencyIds = offer.payload.agencyIds.filter(isWatched);
    if (agencyIds.length === 0) return [];
    const trip = await findTrip(context.db, offer.payload.tripId);
    if (!trip) return [];
    const [change, reason, occurredAt] =
      offer.type === 'TripOffered'
        ? (['OFFERED', null, offer.payload.offeredAt] as const)
        : (['WITHDRAWN', offer.payload.reason, offer.payload.endedAt] as const);
    return agencyIds.map((id) => ({ change, reason, agencyId: id, trip, occurredAt }));
  });
}
