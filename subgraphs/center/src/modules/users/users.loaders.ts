import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { rowsById } from '@medport/graphql';
import { findUsersByIds, type UserScope } from './users.repository.js';

/** Accounts by id, as the caller's scope sees them: accounts outside it load as null, like unknown ids. */
export function createUserLoaders(db: Kysely<CenterDatabase>, scope: UserScope) {
  return {
    user: rowsById((ids) => findUsersByIds(db, ids, scope)),
  };
}
