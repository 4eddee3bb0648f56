import type { Kysely } from 'kysely';
import type { CenterDatabase } from './database.js';
import { createHospitalLoaders } from './modules/hospitals/hospitals.loaders.js';
import { createServiceRegistryLoaders } from './modules/service-registry/service-registry.loaders.js';
import { createUserLoaders } from './modules/users/users.loaders.js';

/** Created for every request, so batching and caching never outlive (or leak across) one request. */
export function createCenterLoaders(db: Kysely<CenterDatabase>) {
  return {
    ...createHospitalLoaders(db),
    ...createUserLoaders(db),
    ...createServiceRegistryLoaders(db),
  };
}

export type CenterLoaders = ReturnType<typeof createCenterLoaders>;
