import type { UserRole } from './enums.js';

/** The kind of tenant an account belongs to, which decides whether it carries a hospital id, an agency id or neither. */
export type TenantKind = 'HOSPITAL' | 'EMS' | 'CENTER';

export const TENANT_OF_ROLE = {
  HOSPITAL_ADMIN: 'HOSPITAL',
  HOSPITAL_STAFF: 'HOSPITAL',
  EMS_ADMIN: 'EMS',
  EMS_DISPATCHER: 'EMS',
  EMS_CREW: 'EMS',
  CENTER_ADMIN: 'CENTER',
  CENTER_STAFF: 'CENTER',
} as const satisfies Record<UserRole, TenantKind>;

export function rolesOfTenant(kind: TenantKind): UserRole[] {
  return (Object.keys(TENANT_OF_ROLE) as UserRole[]).filter((role) => TENANT_OF_ROLE[role] === kind);
}
