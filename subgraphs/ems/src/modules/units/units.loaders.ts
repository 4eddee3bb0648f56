import type { Kysely } from 'kysely';
import { pagesByGroup, rowsByGroup, rowsById } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import { findAvailabilityByUnitIds, findUnitsByIds, listUnitPagesOfAgencies, type UnitFilter } from './units.repository.js';

/** Units and their availability as far as the caller reaches: a unit outside it loads as null, like an unknown id. */
export function createUnitLoaders(db: Kysely<EmsDatabase>, reach: AgencyReach) {
  return {
    unit: rowsById((ids) => findUnitsByIds(db, reach, ids)),
    /** Pages of units for many agencies: agencies asking for the same page share one statement. */
    unitPagesOfAgencies: pagesByGroup(
      (agencyIds, filter: Pick<UnitFilter, 'includeInactive'>, page) => listUnitPagesOfAgencies(db, reach, agencyIds, filter, page),
      (row) => row.agency_id,
    ),
    availabilityByUnit: rowsByGroup(
      (unitIds) => findAvailabilityByUnitIds(db, reach, unitIds, new Date()),
      (row) => row.unit_id,
    ),
  };
}
