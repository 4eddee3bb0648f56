import { tenantScopeOf, type Viewer } from '@medport/auth';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from './database.js';
import { createHospitalLoaders } from './modules/hospitals/hospitals.loaders.js';
import { createServiceRegistryLoaders } from './modules/service-registry/service-registry.loaders.js';
import { createUserLoaders } from './modules/users/users.loaders.js';

/** Created for every request, once its caller is known, so batching and caching never outlive (or leak across) one request. */
export function createCenterLoaders(db: Kysely<CenterDatabase>, viewer: Viewer | null) {
  return {
    ...createHospitalLoaders(db),
    ...createUserLoaders(db, tenantScopeOf(viewer)),
    ...createServiceRegistryLoaders(db),
  };
}

export type CenterLoaders = ReturnType<typeof createCenterLoaders>;
