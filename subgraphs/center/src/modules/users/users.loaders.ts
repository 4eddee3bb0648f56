import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { rowsById } from '@medport/graphql';
import { findUsersByIds } from './users.repository.js';

export function createUserLoaders(db: Kysely<CenterDatabase>) {
  return { user: rowsById((ids) => findUsersByIds(db, ids)) };
}
