import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { rowsByGroup, rowsById, type Page } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findAvailabilityByUnitIds, findUnitsByIds, listUnitPagesOfAgencies } from './units.repository.js';
import type { UnitRow } from './units.table.js';

/** One agency's page of units, as `Agency.units` asks for it. */
export interface AgencyUnitPage {
  agencyId: string;
  includeInactive: boolean;
  page: Page;
}

const pageShape = (request: AgencyUnitPage) => JSON.stringify([request.includeInactive, request.page.limit, request.page.after]);
const pageKey = (request: AgencyUnitPage) => JSON.stringify([request.agencyId, request.includeInactive, request.page.limit, request.page.after]);

/**
 * Pages of units for many agencies: requests asking for the same page (normally all of them, in a list of
 * agencies) share one statement.
 */
function unitPagesOfAgencies(db: Kysely<EmsDatabase>) {
  return new DataLoader<AgencyUnitPage, UnitRow[], string>(
    async (requests) => {
      const shapes = new Map<string, AgencyUnitPage[]>();
      for (const request of requests) {
        const shape = pageShape(request);
        shapes.set(shape, [...(shapes.get(shape) ?? []), request]);
      }
      const pages = new Map<string, UnitRow[]>(requests.map((request) => [pageKey(request), []]));
      await Promise.all(
        [...shapes.values()].map(async (group) => {
          const { includeInactive, page } = group[0]!;
          const agencyIds = group.map((request) => request.agencyId);
          const rows = await listUnitPagesOfAgencies(db, agencyIds, { includeInactive }, page);
          for (const row of rows) pages.get(pageKey({ agencyId: row.agency_id, includeInactive, page }))?.push(row);
        }),
      );
      return requests.map((request) => pages.get(pageKey(request))!);
    },
    { cacheKeyFn: pageKey },
  );
}

export function createUnitLoaders(db: Kysely<EmsDatabase>) {
  return {
    unit: rowsById((ids) => findUnitsByIds(db, ids)),
    unitPagesOfAgencies: unitPagesOfAgencies(db),
    availabilityByUnit: rowsByGroup(
      (unitIds) => findAvailabilityByUnitIds(db, unitIds, new Date()),
      (row) => row.unit_id,
    ),
  };
}
