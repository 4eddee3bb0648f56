import type { EventContracts } from '@medport/domain';
import { isId } from '@medport/graphql';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { findAgenciesCovering, findOfferableAgencyIds } from '../agencies/agencies.repository.js';

/**
 * Hybrid dispatch: the agencies a new trip is offered to, in offer order. First the requesting hospital's
 * preferred agencies, in its order; then every other agency whose active service area contains the pickup, nearest
 * first. Only agencies that take part in the network (ACTIVE, not retired) and provide the trip's level are
 * offered anything: an offer they could never accept would only delay the ones that can.
 */
export async function chooseAgencies(trx: Transaction<EmsDatabase>, request: EventContracts['TripRequested']): Promise<string[]> {
  // PostgreSQL returns uuids in lower case; the hospital's list may not be.
  const preferred = [...new Set(request.preferredAgencyIds.filter(isId).map((id) => id.toLowerCase()))];
  const offerable = new Set(await findOfferableAgencyIds(trx, preferred, request.transportLevel));
  const chosen = preferred.filter((id) => offerable.has(id));
  const listed = new Set(chosen);
  for (const agency of await findAgenciesCovering(trx, request.origin, request.transportLevel)) {
    if (listed.has(agency.id)) continue;
    listed.add(agency.id);
    chosen.push(agency.id);
  }
  return chosen;
}
