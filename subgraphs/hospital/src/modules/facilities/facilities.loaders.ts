import type { Kysely } from 'kysely';
import { pagesByGroup, rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findFacilitiesByIds, listFacilityPagesOfHospitals, type FacilityFilter } from './facilities.repository.js';

export function createFacilityLoaders(db: Kysely<HospitalDatabase>) {
  return {
    facility: rowsById((ids) => findFacilitiesByIds(db, ids)),
    /** Pages of facilities for many hospitals: hospitals asking for the same page share one statement. */
    facilityPagesOfHospitals: pagesByGroup(
      (hospitalIds, filter: Pick<FacilityFilter, 'includeInactive'>, page) => listFacilityPagesOfHospitals(db, hospitalIds, filter, page),
      (row) => row.hospital_id,
    ),
  };
}
