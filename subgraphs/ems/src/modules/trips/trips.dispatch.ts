import type { EventContracts } from '@medport/domain';
import { isId } from '@medport/graphql';
import type { DispatchCandidate } from '../agencies/agencies.repository.js';

const EARTH_RADIUS_KM = 6371;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance (haversine on a 6371 km sphere); min() keeps rounding from pushing asin past its domain. */
export function distanceKm(from: { latitude: number; longitude: number }, to: { latitude: number; longitude: number }): number {
  const a =
    Math.sin(radians(to.latitude - from.latitude) / 2) ** 2 +
    Math.cos(radians(from.latitude)) * Math.cos(radians(to.latitude)) * Math.sin(radians(to.longitude - from.longitude) / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Hybrid dispatch: the agencies a new trip is offered to, in offer order. First the requesting hospital's
 * preferred agencies, in its order; then every other agency whose active service area contains the pickup, nearest
 * first (by the distance to the centre of its closest such area; ties by id). Only agencies that take part in the
 * network (the candidates) and provide the trip's level are offered anything: an offer they could never accept
 * would only delay the ones that can. Without `geographic` (the center's `dispatch.geographicOffers` is off for the
 * requesting hospital) the trip goes to the preferred agencies only.
 */
export function chooseAgencies(
  candidates: ReadonlyMap<string, DispatchCandidate>,
  request: EventContracts['TripRequested'],
  options: { geographic: boolean } = { geographic: true },
): string[] {
  const provides = (candidate: DispatchCandidate | undefined): candidate is DispatchCandidate =>
    candidate !== undefined && candidate.levels.includes(request.transportLevel);
  // PostgreSQL returns uuids in lower case; the hospital's list may not be.
  const preferred = [...new Set(request.preferredAgencyIds.filter(isId).map((id) => id.toLowerCase()))];
  const chosen = preferred.filter((id) => provides(candidates.get(id)));
  if (!options.geographic) return chosen;
  const listed = new Set(chosen);
  const covering: { id: string; distance: number }[] = [];
  for (const candidate of candidates.values()) {
    if (listed.has(candidate.id) || !provides(candidate)) continue;
    const distances = candidate.areas.map((area) => ({ area, distance: distanceKm(request.origin, area) })).filter(({ area, distance }) => distance <= area.radiusKm);
    if (distances.length > 0) covering.push({ id: candidate.id, distance: Math.min(...distances.map(({ distance }) => distance)) });
  }
  covering.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...chosen, ...covering.map(({ id }) => id)];
}
