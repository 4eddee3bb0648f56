import type { Kysely } from 'kysely';
import { rowsByGroup, rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findHistoryByTripIds, findTransportRequestsByIds } from './transport-requests.repository.js';

export function createTransportRequestLoaders(db: Kysely<HospitalDatabase>) {
  return {
    transportRequest: rowsById((ids) => findTransportRequestsByIds(db, ids)),
    historyByTrip: rowsByGroup(
      (ids) => findHistoryByTripIds(db, ids),
      (row) => row.transport_request_id,
    ),
  };
}
