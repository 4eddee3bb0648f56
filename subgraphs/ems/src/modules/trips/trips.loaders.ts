import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findResponsesByTripIds } from './trips.repository.js';

export function createTripLoaders(db: Kysely<EmsDatabase>) {
  return {
    responsesByTrip: rowsByGroup(
      (tripIds) => findResponsesByTripIds(db, tripIds),
      (row) => row.trip_id,
    ),
  };
}
