import type { Kysely } from 'kysely';
import type { EmsDatabase } from './database.js';
import { createAgencyLoaders } from './modules/agencies/agencies.loaders.js';
import { createRouteLoaders } from './modules/routes/routes.loaders.js';
import { createServiceAreaLoaders } from './modules/service-areas/service-areas.loaders.js';
import { createTripLoaders } from './modules/trips/trips.loaders.js';
import { createUnitLoaders } from './modules/units/units.loaders.js';

/** Created for every request, so batching and caching never outlive (or leak across) one request. */
export function createEmsLoaders(db: Kysely<EmsDatabase>) {
  return {
    ...createAgencyLoaders(db),
    ...createUnitLoaders(db),
    ...createServiceAreaLoaders(db),
    ...createRouteLoaders(db),
    ...createTripLoaders(db),
  };
}

export type EmsLoaders = ReturnType<typeof createEmsLoaders>;
