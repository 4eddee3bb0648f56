import type { JsonValue } from '@medport/database';
import { TENANT_OF_ROLE, type FeatureToggleTarget, type TenantKind, type UserRole } from '@medport/domain';
import type { FeatureToggleRow } from './feature-toggles.table.js';

/** Whom a toggle is asked about: a person (with a role), or a whole hospital or agency (without one). */
export interface ToggleSubject {
  tenantKind: TenantKind;
  tenantId: string;
  role?: UserRole;
}

const stringsOf = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function targetOf(value: JsonValue): FeatureToggleTarget {
  const target = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  return { roles: stringsOf(target.roles) as UserRole[], tenantIds: stringsOf(target.tenantIds), exceptTenantIds: stringsOf(target.exceptTenantIds) };
}

/**
 * Whether a feature is on for `subject` (FeatureToggleTarget's rules): off when disabled or the subject's tenant is
 * excepted; otherwise each non-empty list must include it. A whole tenant matches `roles` when a role of its kind is
 * listed. A toggle the center never announced is at `defaultOn`, what the silo did before toggles existed.
 */
export function isFeatureOn(toggle: FeatureToggleRow | undefined, subject: ToggleSubject, defaultOn: boolean): boolean {
  if (!toggle) return defaultOn;
  if (!toggle.is_enabled) return false;
  const target = targetOf(toggle.target);
  const tenantId = subject.tenantId.toLowerCase();
  if (target.exceptTenantIds.includes(tenantId)) return false;
  if (target.tenantIds.length > 0 && !target.tenantIds.includes(tenantId)) return false;
  if (target.roles.length === 0) return true;
  return subject.role ? target.roles.includes(subject.role) : target.roles.some((role) => TENANT_OF_ROLE[role] === subject.tenantKind);
}
