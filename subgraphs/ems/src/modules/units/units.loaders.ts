import type { Kysely } from 'kysely';
import { pagesByGroup, rowsByGroup, rowsById } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findAvailabilityByUnitIds, findUnitsByIds, listUnitPagesOfAgencies, type UnitFilter } from './units.repository.js';

export function createUnitLoaders(db: Kysely<EmsDatabase>) {
  return {
    unit: rowsById((ids) => findUnitsByIds(db, ids)),
    /** Pages of units for many agencies: agencies asking for the same page share one statement. */
    unitPagesOfAgencies: pagesByGroup(
      (agencyIds, filter: Pick<UnitFilter, 'includeInactive'>, page) => listUnitPagesOfAgencies(db, agencyIds, filter, page),
      (row) => row.agency_id,
    ),
    availabilityByUnit: rowsByGroup(
      (unitIds) => findAvailabilityByUnitIds(db, unitIds, new Date()),
      (row) => row.unit_id,
    ),
  };
}
