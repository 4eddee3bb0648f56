import type { OfferEndReason, TransportLevel } from '@medport/domain';
import { publishEvents } from '@medport/events';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { endPendingResponses, withdrawAcceptedResponse, withdrawOffersToAgenciesWithoutLevel, type EndedOffer } from './trips.repository.js';

/**
 * Tells the agencies whose offers just ended that they can no longer accept (`TripOffersEnded`, one event per trip):
 * their apps' live offer lists drop the trip at once instead of at the next refresh.
 */
async function announceEndedOffers(trx: Transaction<EmsDatabase>, ended: readonly EndedOffer[], reason: OfferEndReason, at: Date): Promise<void> {
  const agenciesByTrip = new Map<string, string[]>();
  for (const offer of ended) agenciesByTrip.set(offer.trip_id, [...(agenciesByTrip.get(offer.trip_id) ?? []), offer.agency_id]);
  await publishEvents(
    trx,
    'TripOffersEnded',
    [...agenciesByTrip].map(([tripId, agencyIds]) => ({ aggregateId: tripId, payload: { tripId, agencyIds, reason, endedAt: at.toISOString() } })),
  );
}

/** Ends the offers of these trips still waiting for an answer, and says so. */
export async function endOffers(trx: Transaction<EmsDatabase>, tripIds: readonly string[], reason: OfferEndReason, at = new Date()): Promise<void> {
  const ended = await endPendingResponses(trx, tripIds, reason === 'OFFER_EXPIRED' ? 'EXPIRED' : 'WITHDRAWN');
  await announceEndedOffers(trx, ended, reason, at);
}

/** Takes a trip back from the agency that accepted it, because the hospital's cancellation came first, and says so. */
export async function withdrawAcceptance(trx: Transaction<EmsDatabase>, tripId: string, at: Date): Promise<void> {
  const withdrawn = await withdrawAcceptedResponse(trx, tripId);
  await announceEndedOffers(trx, withdrawn, 'TRIP_CANCELLED', at);
}

/** Withdraws a trip's waiting offers from agencies that cannot serve its new level, and says so. */
export async function withdrawOffersForLevel(trx: Transaction<EmsDatabase>, tripId: string, level: TransportLevel): Promise<void> {
  const ended = await withdrawOffersToAgenciesWithoutLevel(trx, tripId, level);
  await announceEndedOffers(trx, ended, 'LEVEL_CHANGED', new Date());
}
