import type { Kysely } from 'kysely';
import { rowsByGroup, rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findHistoryByTripIds, findTransportRequestsByIds } from './transport-requests.repository.js';
import type { TripScope } from './trip-scope.js';

export function createTransportRequestLoaders(db: Kysely<HospitalDatabase>, scope: TripScope) {
  return {
    /**
     * Trips by id as the caller sees them: the scope is part of each batch's SQL, and a trip outside it loads as
     * null, exactly like an id that does not exist.
     */
    transportRequest: rowsById((ids) => findTransportRequestsByIds(db, scope, ids)),
    /** Reached only through a trip already read in the caller's scope. */
    historyByTrip: rowsByGroup(
      (ids) => findHistoryByTripIds(db, ids),
      (row) => row.transport_request_id,
    ),
  };
}
