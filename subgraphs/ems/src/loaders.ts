import type { Kysely } from 'kysely';
import type { EmsDatabase } from './database.js';
import { createAgencyLoaders } from './modules/agencies/agencies.loaders.js';
import { createRouteLoaders } from './modules/routes/routes.loaders.js';
import { createServiceAreaLoaders } from './modules/service-areas/service-areas.loaders.js';
import { createTripLoaders } from './modules/trips/trips.loaders.js';
import { createUnitLoaders } from './modules/units/units.loaders.js';
import type { EmsScope } from './scope.js';

/** Loaders of records only some callers see: every statement they run carries the scope's condition. */
function createScopedLoaders(db: Kysely<EmsDatabase>, scope: EmsScope) {
  return {
    ...createUnitLoaders(db, scope.agencyRecords),
    ...createServiceAreaLoaders(db, scope.agencyRecords),
    ...createRouteLoaders(db, scope.agencyRecords),
    ...createTripLoaders(db, scope.responses),
  };
}

export type ScopedEmsLoaders = ReturnType<typeof createScopedLoaders>;

/** Created for every request, so batching and caching never outlive (or leak across) one request. */
export function createEmsLoaders(db: Kysely<EmsDatabase>) {
  // The server builds loaders before it knows who calls, so scoped ones are made on first use. A request has one
  // caller, hence one scope and one set; keying by scope keeps rows of one scope from ever answering another.
  const scoped = new Map<string, ScopedEmsLoaders>();
  return {
    // The agency directory reads the same for every caller.
    ...createAgencyLoaders(db),
    within(scope: EmsScope): ScopedEmsLoaders {
      const key = JSON.stringify(scope);
      let loaders = scoped.get(key);
      if (!loaders) {
        loaders = createScopedLoaders(db, scope);
        scoped.set(key, loaders);
      }
      return loaders;
    },
  };
}

export type EmsLoaders = ReturnType<typeof createEmsLoaders>;
