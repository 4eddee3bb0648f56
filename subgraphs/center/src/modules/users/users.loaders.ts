import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { rowsById } from '@medport/graphql';
import { findUsersByIds, type UserScope } from './users.repository.js';
import type { UserRow } from './users.table.js';

/**
 * Accounts by id, as one scope sees them (accounts outside it load as null, like unknown ids). Loaders are made
 * before the caller is known, so there is one per scope asked for; a request has one caller, hence one loader and
 * one statement however many accounts it resolves.
 */
export function createUserLoaders(db: Kysely<CenterDatabase>) {
  const byScope = new Map<string, DataLoader<string, UserRow | null>>();
  return {
    usersIn(scope: UserScope): DataLoader<string, UserRow | null> {
      const key = JSON.stringify(scope);
      let loader = byScope.get(key);
      if (!loader) {
        loader = rowsById((ids) => findUsersByIds(db, ids, scope));
        byScope.set(key, loader);
      }
      return loader;
    },
  };
}
