import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { rowsById } from '@medport/graphql';
import { findRegistrationsByIds } from './service-registry.repository.js';

export function createServiceRegistryLoaders(db: Kysely<CenterDatabase>) {
  return { serviceRegistration: rowsById((ids) => findRegistrationsByIds(db, ids)) };
}
