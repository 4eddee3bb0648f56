import { isCenterStaff, requireActingFor, requireRole, worksFor, type Viewer } from '@medport/auth';

/** Hospital-internal configuration (agency preferences) is read by the hospital's own people and by center staff. */
export const mayReadHospitalSettings = (viewer: Viewer, hospitalId: string) => isCenterStaff(viewer) || worksFor(viewer, hospitalId);

/**
 * Whose account ids a caller may learn: the center answers NOT_FOUND for any account outside the caller's tenant,
 * so a hospital's accounts are for center staff and the hospital's own users, not for an agency that sees its trips.
 */
export const mayKnowHospitalAccounts = (viewer: Viewer, hospitalId: string) => isCenterStaff(viewer) || worksFor(viewer, hospitalId);

/**
 * A hospital's facilities and preferences are managed by its own administrators and by center administrators.
 * Hospitals and facilities are public records, so a refusal here is FORBIDDEN rather than NOT_FOUND.
 */
export function requireHospitalAdminOf(viewer: Viewer | null, hospitalId: string, action: string): Viewer {
  const caller = requireRole(viewer, ['HOSPITAL_ADMIN', 'CENTER_ADMIN'], action);
  requireActingFor(caller, hospitalId, `Hospital administrators may only ${action} for their own hospital.`);
  return caller;
}
