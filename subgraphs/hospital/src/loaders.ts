import { tenantScopeOf, type Viewer } from '@medport/auth';
import type { Kysely } from 'kysely';
import type { HospitalDatabase } from './database.js';
import { createAgencyPreferenceLoaders } from './modules/agency-preferences/agency-preferences.loaders.js';
import { createFacilityLoaders } from './modules/facilities/facilities.loaders.js';
import { createTransportRequestLoaders } from './modules/transport-requests/transport-requests.loaders.js';

/** Created for every request, once its caller is known, so batching and caching never outlive (or leak across) one request. */
export function createHospitalLoaders(db: Kysely<HospitalDatabase>, viewer: Viewer | null) {
  return {
    ...createFacilityLoaders(db),
    ...createTransportRequestLoaders(db, tenantScopeOf(viewer)),
    ...createAgencyPreferenceLoaders(db),
  };
}

export type HospitalLoaders = ReturnType<typeof createHospitalLoaders>;
