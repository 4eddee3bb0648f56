import { TENANT_OF_ROLE, type TenantKind, type UserRole } from '@medport/domain';
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
