import type { Kysely } from 'kysely';
import { rowsByGroup, rowsById } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { ResponseReach } from '../../scope.js';
import { findResponsesByTripIds, findTripsByIds } from './trips.repository.js';

export function createTripLoaders(db: Kysely<EmsDatabase>, reach: ResponseReach) {
  return {
    responsesByTrip: rowsByGroup(
      (tripIds) => findResponsesByTripIds(db, reach, tripIds),
      (row) => row.trip_id,
    ),
    /** This silo's copies of trips, for deciding whether a caller may be referred to the hospital's trip. */
    tripCopy: rowsById((ids) => findTripsByIds(db, ids)),
  };
}
