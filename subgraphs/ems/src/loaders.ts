import type { Viewer } from '@medport/auth';
import type { Kysely } from 'kysely';
import type { EmsDatabase } from './database.js';
import { createAgencyLoaders } from './modules/agencies/agencies.loaders.js';
import { createRouteLoaders } from './modules/routes/routes.loaders.js';
import { createServiceAreaLoaders } from './modules/service-areas/service-areas.loaders.js';
import { createTripLoaders } from './modules/trips/trips.loaders.js';
import { createUnitLoaders } from './modules/units/units.loaders.js';
import { emsScopeOf } from './scope.js';

/**
 * Created for every request, once its caller is known, so batching and caching never outlive (or leak across) one
 * request. Loaders of records only some callers see carry the caller's scope in every statement they run.
 */
export function createEmsLoaders(db: Kysely<EmsDatabase>, viewer: Viewer | null) {
  const scope = emsScopeOf(viewer);
  return {
    ...createAgencyLoaders(db, scope.agencyRecords),
    ...createUnitLoaders(db, scope.agencyRecords),
    ...createServiceAreaLoaders(db, scope.agencyRecords),
    ...createRouteLoaders(db, scope.agencyRecords),
    ...createTripLoaders(db, scope.responses),
  };
}

export type EmsLoaders = ReturnType<typeof createEmsLoaders>;
