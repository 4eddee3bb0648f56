import type { Kysely } from 'kysely';
import { rowsById } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import { findAgenciesByIds } from './agencies.repository.js';

export function createAgencyLoaders(db: Kysely<EmsDatabase>, reach: AgencyReach) {
  return { agency: rowsById((ids) => findAgenciesByIds(db, reach, ids)) };
}
