import { seesTrip, type TenantScope } from '@medport/auth';
import type { TransportRequestRow } from './transport-requests.table.js';

/**
 * The transport requests one caller may see, derived from its token alone (`tenantScopeOf`): center staff oversee
 * the whole network; hospital users see the trips their hospital requested; EMS users see the trips assigned to
 * their agency, so patient details reach an agency only once it has the trip. The repository turns it into a SQL
 * condition on every statement that reads trips, so lists page correctly and an id outside it is simply not found.
 */
export type TripScope = TenantScope;

/**
 * The same rule as the repository's SQL condition, for rows already in hand: a last check before patient data
 * leaves the service, should a future path ever hand out a row it did not read through the scope.
 */
export function isInTripScope(scope: TripScope, trip: Pick<TransportRequestRow, 'hospital_id' | 'assigned_agency_id'>): boolean {
  return seesTrip(scope, { hospitalId: trip.hospital_id, assignedAgencyId: trip.assigned_agency_id });
}
