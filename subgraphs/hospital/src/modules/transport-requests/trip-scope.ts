import { tenantKindOf, type Viewer } from '@medport/auth';
import type { TransportRequestRow } from './transport-requests.table.js';

/**
 * The transport requests one caller may see, derived from its token alone. The repository turns it into a SQL
 * condition on every statement that reads trips, so lists page correctly and an id outside it is simply not found.
 */
export type TripScope =
  /** Center staff oversee the whole network. */
  | { readonly kind: 'ALL' }
  /** Hospital users see the trips their hospital requested. */
  | { readonly kind: 'HOSPITAL'; readonly hospitalId: string }
  /** EMS users see the trips assigned to their agency: patient details reach an agency only once it has the trip. */
  | { readonly kind: 'AGENCY'; readonly agencyId: string }
  /** A tenant role whose token names no tenant sees nothing. */
  | { readonly kind: 'NONE' };

export function tripScopeOf(viewer: Viewer): TripScope {
  switch (tenantKindOf(viewer)) {
    case 'CENTER':
      return { kind: 'ALL' };
    case 'HOSPITAL':
      return viewer.hospitalId ? { kind: 'HOSPITAL', hospitalId: viewer.hospitalId } : { kind: 'NONE' };
    case 'EMS':
      return viewer.agencyId ? { kind: 'AGENCY', agencyId: viewer.agencyId } : { kind: 'NONE' };
  }
}

/** A stable key per scope, so per-request loaders are shared by callers of the same scope. */
export function tripScopeKey(scope: TripScope): string {
  switch (scope.kind) {
    case 'HOSPITAL':
      return `HOSPITAL:${scope.hospitalId}`;
    case 'AGENCY':
      return `AGENCY:${scope.agencyId}`;
    default:
      return scope.kind;
  }
}

/**
 * The same rule as the repository's SQL condition, for rows already in hand: a last check before patient data
 * leaves the service, should a future path ever hand out a row it did not read through the scope.
 */
export function isInTripScope(scope: TripScope, trip: Pick<TransportRequestRow, 'hospital_id' | 'assigned_agency_id'>): boolean {
  switch (scope.kind) {
    case 'ALL':
      return true;
    case 'HOSPITAL':
      return trip.hospital_id === scope.hospitalId;
    case 'AGENCY':
      return trip.assigned_agency_id === scope.agencyId;
    case 'NONE':
      return false;
  }
}
