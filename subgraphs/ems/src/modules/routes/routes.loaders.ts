import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findRoutesByAgencyIds } from './routes.repository.js';

export function createRouteLoaders(db: Kysely<EmsDatabase>) {
  return {
    routesByAgency: rowsByGroup(
      (agencyIds) => findRoutesByAgencyIds(db, agencyIds),
      (row) => row.agency_id,
    ),
  };
}
