import type { Kysely } from 'kysely';
import { rowsById } from '@medport/graphql';
import type { EmsDatabase } from '../../database.js';
import { findAgenciesByIds } from './agencies.repository.js';

export function createAgencyLoaders(db: Kysely<EmsDatabase>) {
  return { agency: rowsById((ids) => findAgenciesByIds(db, ids)) };
}
