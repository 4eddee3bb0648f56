import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import { findRoutesByAgencyIds } from './routes.repository.js';

export function createRouteLoaders(db: Kysely<EmsDatabase>, reach: AgencyReach) {
  return {
    routesByAgency: rowsByGroup(
      (agencyIds) => findRoutesByAgencyIds(db, reach, agencyIds),
      (row) => row.agency_id,
    ),
  };
}
