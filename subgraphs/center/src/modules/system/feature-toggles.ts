import type { JsonValue } from '@medport/database';
import { ANNOUNCED_FEATURE_TOGGLES, type FeatureToggleTarget, type UserRole } from '@medport/domain';
import { badInput, isId, requireDistinct } from '@medport/graphql';

/**
 * The feature toggles MedPort knows. A toggle only means something to the code that reads it, so the list lives in
 * code: switching a name no code reads would look like a change and do nothing, and is refused. Each entry says
 * who honours it, so an administrator knows what a switch will do before throwing it.
 */
export const KNOWN_FEATURE_TOGGLES: Readonly<Record<string, { description: string }>> = {
  [ANNOUNCED_FEATURE_TOGGLES.geographicOffers]: {
    description:
      'New trips are also offered to agencies whose service area covers the pickup, after the requesting hospital’s ' +
      'preferred agencies. Honoured by ems for the requesting hospital: where it is off, a trip is offered to the ' +
      'hospital’s preferred agencies only.',
  },
  'analytics.dashboard': { description: 'The center’s analytics dashboard. Read by clients of the center.' },
  'notifications.sms': { description: 'Notifications by SMS. Read by the notification sender once there is one.' },
};

export const describeFeatureToggle = (name: string): string | null => KNOWN_FEATURE_TOGGLES[name]?.description ?? null;

/** A target names a handful of roles and tenants; a list longer than this is a mistake, not a rollout. */
export const MAX_TARGET_TENANTS = 100;

export const EVERYONE: FeatureToggleTarget = { roles: [], tenantIds: [], exceptTenantIds: [] };

export interface FeatureToggleTargetInput {
  roles?: UserRole[] | null;
  tenantIds?: string[] | null;
  exceptTenantIds?: string[] | null;
}

export function requireKnownToggle(name: string): string {
  if (!Object.hasOwn(KNOWN_FEATURE_TOGGLES, name)) {
    throw badInput(`\`name\`: no feature toggle is called "${name}"; known: ${Object.keys(KNOWN_FEATURE_TOGGLES).join(', ')}.`, 'name');
  }
  return name;
}

function requireTenantIds(ids: readonly string[], field: string): string[] {
  if (ids.length > MAX_TARGET_TENANTS) throw badInput(`\`${field}\` must name at most ${MAX_TARGET_TENANTS} tenants.`, field);
  for (const id of ids) if (!isId(id)) throw badInput(`\`${field}\`: ${JSON.stringify(id)} is not a valid id.`, field);
  // Tokens and PostgreSQL carry ids in lower case; a copy compared by silos must too.
  return [...requireDistinct(ids.map((id) => id.toLowerCase()), field)];
}

/**
 * A target as given, its shape checked (ids, no repeats, no tenant both in and out). Whether the tenants exist is
 * for the manager to check against the registry.
 */
export function targetOf(input: FeatureToggleTargetInput): FeatureToggleTarget {
  const roles = [...requireDistinct(input.roles ?? [], 'target.roles')];
  const tenantIds = requireTenantIds(input.tenantIds ?? [], 'target.tenantIds');
  const exceptTenantIds = requireTenantIds(input.exceptTenantIds ?? [], 'target.exceptTenantIds');
  const both = tenantIds.find((id) => exceptTenantIds.includes(id));
  if (both) throw badInput(`\`target\`: tenant ${both} cannot be both in \`tenantIds\` and in \`exceptTenantIds\`.`, 'target.exceptTenantIds');
  return { roles, tenantIds, exceptTenantIds };
}

const stringsOf = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** The target a row stores; the seeded `{}` (and any list missing) means everyone. */
export function storedTarget(value: JsonValue): FeatureToggleTarget {
  const target = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  return {
    roles: stringsOf(target.roles) as UserRole[],
    tenantIds: stringsOf(target.tenantIds),
    exceptTenantIds: stringsOf(target.exceptTenantIds),
  };
}
