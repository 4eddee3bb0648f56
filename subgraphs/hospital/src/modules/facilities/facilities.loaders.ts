import type { Kysely } from 'kysely';
import { rowsById } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import { findFacilitiesByIds } from './facilities.repository.js';

export function createFacilityLoaders(db: Kysely<HospitalDatabase>) {
  return { facility: rowsById((ids) => findFacilitiesByIds(db, ids)) };
}
