import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { rowsById } from '@medport/graphql';
import { findHospitalsByIds } from './hospitals.repository.js';

export function createHospitalLoaders(db: Kysely<CenterDatabase>) {
  return { hospital: rowsById((ids) => findHospitalsByIds(db, ids)) };
}
