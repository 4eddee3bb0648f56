import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import { findServiceAreasByAgencyIds } from './service-areas.repository.js';

export function createServiceAreaLoaders(db: Kysely<EmsDatabase>, reach: AgencyReach) {
  return {
    serviceAreasByAgency: rowsByGroup(
      (agencyIds) => findServiceAreasByAgencyIds(db, reach, agencyIds),
      (row) => row.agency_id,
    ),
  };
}
