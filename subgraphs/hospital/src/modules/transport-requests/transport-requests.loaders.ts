import type { Kysely } from 'kysely';
import { pagesByGroup, rowsByGroup, rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import {
  findHistoryByTripIds,
  findTransportRequestsByIds,
  listTripPagesOfAgencies,
  listTripPagesOfFacilities,
  type TransportRequestFilter,
} from './transport-requests.repository.js';
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
    /** Pages of the trips assigned to many agencies, in the caller's scope: agencies asking for the same page share one statement. */
    tripPagesOfAgencies: pagesByGroup(
      (agencyIds, filter: Pick<TransportRequestFilter, 'statuses'>, page) => listTripPagesOfAgencies(db, scope, agencyIds, filter, page),
      (row) => row.assigned_agency_id,
    ),
    /** Pages of the trips from or to many facilities, in the caller's scope: facilities asking for the same page share one statement. */
    tripPagesOfFacilities: pagesByGroup(
      (facilityIds, _noOptions: null, page) => listTripPagesOfFacilities(db, scope, facilityIds, page),
      (row) => row.facility_id,
    ),
  };
}
