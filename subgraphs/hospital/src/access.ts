import { forbidden, isCenterStaff, isHospitalUser, requireRole, type Viewer } from '@medport/auth';
import type { UserRole } from '@medport/domain';

/** The roles that act for one hospital: they request, change and cancel that hospital's trips. */
export const HOSPITAL_ROLES: readonly UserRole[] = ['HOSPITAL_ADMIN', 'HOSPITAL_STAFF'];

/** Ids are UUIDs, which clients may send in upper case; PostgreSQL and tokens carry them in lower case. */
export const sameId = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** Whether a viewer works for this hospital (any hospital role). */
export const worksFor = (viewer: Viewer, hospitalId: string) => isHospitalUser(viewer) && sameId(viewer.hospitalId, hospitalId);

/** Hospital-internal configuration (agency preferences) is read by the hospital's own people and by center staff. */
export const mayReadHospitalSettings = (viewer: Viewer, hospitalId: string) => isCenterStaff(viewer) || worksFor(viewer, hospitalId);

/**
 * A hospital's facilities and preferences are managed by its own administrators and by center administrators.
 * Hospitals and facilities are public records, so a refusal here is FORBIDDEN rather than NOT_FOUND.
 */
export function requireHospitalAdminOf(viewer: Viewer | null, hospitalId: string, action: string): Viewer {
  const caller = requireRole(viewer, ['HOSPITAL_ADMIN', 'CENTER_ADMIN'], action);
  if (caller.role === 'HOSPITAL_ADMIN' && !sameId(caller.hospitalId, hospitalId)) {
    throw forbidden(`Hospital administrators may only ${action} for their own hospital.`);
  }
  return caller;
}
