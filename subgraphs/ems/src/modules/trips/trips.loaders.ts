import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { ResponseReach } from '../../scope.js';
import { findResponsesByTripIds } from './trips.repository.js';

export function createTripLoaders(db: Kysely<EmsDatabase>, reach: ResponseReach) {
  return {
    responsesByTrip: rowsByGroup(
      (tripIds) => findResponsesByTripIds(db, reach, tripIds),
      (row) => row.trip_id,
    ),
  };
}
