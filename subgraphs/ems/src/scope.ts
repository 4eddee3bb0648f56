import { isHospitalUser, requireViewer, sameId, tenantScopeOf, type TenantScope, type Viewer } from '@medport/auth';

/**
 * Whose agency record, units (with their availability), service areas and routes a caller sees: hospitals and the
 * center see every agency (hospitals choose their preferred ones); an agency sees only itself.
 */
export type AgencyReach = Exclude<TenantScope, { kind: 'HOSPITAL' }>;

/** Whose answers to trips a caller sees: an agency its own, a hospital those to its own trips. */
export type ResponseReach = TenantScope;

/**
 * What one caller may see in the ems silo. Repositories turn it into SQL conditions, so a record outside it is
 * absent from lists (and pages stay full), null as an entity, and NOT_FOUND by id, exactly like an unknown id.
 */
export interface EmsScope {
  readonly agencyRecords: AgencyReach;
  readonly responses: ResponseReach;
}

const ALL = { kind: 'ALL' } as const;

export function emsScopeOf(viewer: Viewer | null): EmsScope {
  const own = tenantScopeOf(viewer);
  // Hospitals see every unit (the number and level of the one serving their trip), but only the answers to
  // their own trips: another hospital's trips, and what agencies answered them, are none of their business.
  if (own.kind === 'HOSPITAL' || (viewer && isHospitalUser(viewer))) return { agencyRecords: ALL, responses: own };
  // Center staff run the network and read all of it; agencies compete for trips: one agency's fleet, coverage
  // and bids are hidden from the others.
  return { agencyRecords: own, responses: own };
}

/** The scope of a request's caller (anonymous calls never reach a resolver that asks). */
export function scopeOf(context: { viewer: Viewer | null }): EmsScope {
  return emsScopeOf(requireViewer(context.viewer));
}

/** Whether a record owned by `agencyId` is within reach. */
export function reaches(reach: AgencyReach, agencyId: string): boolean {
  if (reach.kind === 'ALL') return true;
  return reach.kind === 'AGENCY' && sameId(reach.agencyId, agencyId);
}
