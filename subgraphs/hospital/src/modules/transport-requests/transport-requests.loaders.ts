import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { rowsByGroup, rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findHistoryByTripIds, findTransportRequestsByIds } from './transport-requests.repository.js';
import type { TransportRequestRow } from './transport-requests.table.js';
import { tripScopeKey, type TripScope } from './trip-scope.js';

export function createTransportRequestLoaders(db: Kysely<HospitalDatabase>) {
  // Loaders are built before the request's caller is known to them, so trips are loaded per scope: the scope is
  // part of each batch's SQL, and a trip outside it loads as null, exactly like an id that does not exist.
  const byScope = new Map<string, DataLoader<string, TransportRequestRow | null>>();
  return {
    /** Trips by id as a caller with this scope sees them. */
    transportRequestIn(scope: TripScope): DataLoader<string, TransportRequestRow | null> {
      const key = tripScopeKey(scope);
      let loader = byScope.get(key);
      if (!loader) {
        loader = rowsById((ids) => findTransportRequestsByIds(db, scope, ids));
        byScope.set(key, loader);
      }
      return loader;
    },
    /** Reached only through a trip already read in the caller's scope. */
    historyByTrip: rowsByGroup(
      (ids) => findHistoryByTripIds(db, ids),
      (row) => row.transport_request_id,
    ),
  };
}
