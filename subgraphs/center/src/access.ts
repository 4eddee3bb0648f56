import { rolesOfTenant, type UserRole } from '@medport/domain';

/** The center's own staff: they administer the network, so they read everything in this silo. */
export const CENTER_STAFF_ROLES: readonly UserRole[] = rolesOfTenant('CENTER');

/** Changes to the registry, the accounts and the signing keys are for center administrators alone. */
export const CENTER_ADMIN_ROLES: readonly UserRole[] = ['CENTER_ADMIN'];
