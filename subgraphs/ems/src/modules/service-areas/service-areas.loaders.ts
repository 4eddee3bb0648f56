import type { Kysely } from 'kysely';
import { rowsByGroup } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findServiceAreasByAgencyIds } from './service-areas.repository.js';

export function createServiceAreaLoaders(db: Kysely<EmsDatabase>) {
  return {
    serviceAreasByAgency: rowsByGroup(
      (agencyIds) => findServiceAreasByAgencyIds(db, agencyIds),
      (row) => row.agency_id,
    ),
  };
}
