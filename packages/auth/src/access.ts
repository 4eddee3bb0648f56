import { rolesOfTenant, TENANT_OF_ROLE, type TenantKind, type UserRole } from '@medport/domain';
import { GraphQLError } from 'graphql';
import { unauthenticated } from './tokens.js';
import type { Viewer } from './viewer.js';

/**
 * MedPort's one rule for refusals: a record the caller may not see does not exist for it (NOT_FOUND, or absent
 * from a list), so probing ids tells nothing; an operation the caller's role may never perform is FORBIDDEN.
 */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export function tenantKindOf(viewer: Viewer): TenantKind {
  return TENANT_OF_ROLE[viewer.role];
}

/** The caller of an operation that needs one; the authentication plugin has already refused anonymous calls. */
export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** Allows only the given roles; everyone else gets FORBIDDEN. */
export function requireRole(viewer: Viewer | null, roles: readonly UserRole[], action: string): Viewer {
  const caller = requireViewer(viewer);
  if (!roles.includes(caller.role)) throw forbidden(`Your role (${caller.role}) may not ${action}.`);
  return caller;
}

export const isCenterStaff = (viewer: Viewer) => tenantKindOf(viewer) === 'CENTER';
export const isHospitalUser = (viewer: Viewer) => tenantKindOf(viewer) === 'HOSPITAL';
export const isEmsUser = (viewer: Viewer) => tenantKindOf(viewer) === 'EMS';

/** The tenant id a viewer acts for: its hospital or agency, null for center staff. */
export function tenantIdOf(viewer: Viewer): string | null {
  return viewer.hospitalId ?? viewer.agencyId ?? null;
}

/** The center's own staff: they administer the network, so they read everything of every silo. */
export const CENTER_STAFF_ROLES: readonly UserRole[] = rolesOfTenant('CENTER');

/** Changes to the registry, the accounts and the signing keys are for center administrators alone. */
export const CENTER_ADMIN_ROLES: readonly UserRole[] = ['CENTER_ADMIN'];

/** The roles that act for one hospital: they request, change and cancel that hospital's trips. */
export const HOSPITAL_ROLES: readonly UserRole[] = rolesOfTenant('HOSPITAL');

/** Ids are UUIDs, which clients may send in upper case; PostgreSQL and tokens carry them in lower case. */
export const sameId = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** Whether a viewer works for this hospital or agency (any role of it); center staff work for none. */
export function worksFor(viewer: Viewer, tenantId: string): boolean {
  switch (tenantKindOf(viewer)) {
    case 'HOSPITAL':
      return sameId(viewer.hospitalId, tenantId);
    case 'EMS':
      return sameId(viewer.agencyId, tenantId);
    case 'CENTER':
      return false;
  }
}

/**
 * Center administrators act for any hospital or agency, a tenant's accounts for their own only. Use it where every
 * tenant is a public record (the registry, the agency directory): naming another one hides nothing, so a refusal
 * is a FORBIDDEN operation, not NOT_FOUND.
 */
export function requireActingFor(viewer: Viewer, tenantId: string, message: string): void {
  if (viewer.role !== 'CENTER_ADMIN' && !worksFor(viewer, tenantId)) throw forbidden(message);
}

/**
 * Whose records a caller sees, by its tenant: center staff everyone's, a hospital's or an agency's accounts their
 * own. Repositories turn it into SQL conditions, so a record outside it is absent from lists (and pages stay
 * full), null as an entity, and NOT_FOUND by id, exactly like an unknown id.
 */
export type TenantScope =
  | { readonly kind: 'ALL' }
  | { readonly kind: 'HOSPITAL'; readonly hospitalId: string }
  | { readonly kind: 'AGENCY'; readonly agencyId: string }
  /** No caller, or a tenant account whose token names no tenant: it sees no tenant's records. */
  | { readonly kind: 'NONE' };

/**
 * Whether a caller sees a trip: center staff every trip, a hospital's accounts their hospital's, an agency's those
 * assigned to it (patient details reach an agency only once it serves the trip). The hospital silo, which holds the
 * trips, applies the same rule in SQL; ems applies it before it refers a caller to a trip, so that it never hands
 * out a reference the hospital would refuse to resolve.
 */
export function seesTrip(scope: TenantScope, trip: { hospitalId: string; assignedAgencyId: string | null }): boolean {
  switch (scope.kind) {
    case 'ALL':
      return true;
    case 'HOSPITAL':
      return sameId(trip.hospitalId, scope.hospitalId);
    case 'AGENCY':
      return sameId(trip.assignedAgencyId, scope.agencyId);
    case 'NONE':
      return false;
  }
}

/** The scope of a caller, derived from its token alone; an anonymous caller's is NONE. */
export function tenantScopeOf(viewer: Viewer | null): TenantScope {
  if (!viewer) return { kind: 'NONE' };
  switch (tenantKindOf(viewer)) {
    case 'CENTER':
      return { kind: 'ALL' };
    case 'HOSPITAL':
      return viewer.hospitalId ? { kind: 'HOSPITAL', hospitalId: viewer.hospitalId } : { kind: 'NONE' };
    case 'EMS':
      return viewer.agencyId ? { kind: 'AGENCY', agencyId: viewer.agencyId } : { kind: 'NONE' };
  }
}
