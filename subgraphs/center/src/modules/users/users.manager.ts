import { auditedChange } from '@medport/audit';
import { CENTER_ADMIN_ROLES, requireRole, requireViewer, tenantScopeOf } from '@medport/auth';
import { newId, TENANT_OF_ROLE, type UserRole } from '@medport/domain';
import { badInput, conflict, isId, notFound, parsePage, requireText, toConnection, type Connection, type PageArgs } from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import { revokeRefreshTokensOfUser } from '../auth/auth.repository.js';
import { revokeAccess } from '../auth/revocations.js';
import { findRegistrationByAgencyId } from '../service-registry/service-registry.repository.js';
import { requireEmail } from './email.js';
import { withPasswordCheckSlot } from '../auth/sign-in-limits.js';
import { hashPassword } from './passwords.js';
import { insertUser, listUsers, updateUserActive, type UserFilter } from './users.repository.js';
import type { UserRow } from './users.table.js';

export interface CreateUserInput {
  email: string;
  name: string;
  role: UserRole;
  hospitalId?: string | null;
  agencyId?: string | null;
  password: string;
}

export interface UserFilterInput {
  role?: UserRole[] | null;
  hospitalId?: string | null;
  agencyId?: string | null;
  includeInactive?: boolean | null;
}

export const MIN_PASSWORD_LENGTH = 12;
// Long enough for any passphrase, short enough that hashing one is not a way to burn our CPU.
export const MAX_PASSWORD_LENGTH = 256;

export function toRepositoryFilter(input: UserFilterInput): UserFilter {
  for (const [field, value] of [
    ['filter.hospitalId', input.hospitalId],
    ['filter.agencyId', input.agencyId],
  ] as const) {
    if (value && !isId(value)) throw badInput(`\`${field}\` is not a valid id.`, field);
  }
  return {
    roles: input.role ?? null,
    hospitalId: input.hospitalId ?? null,
    agencyId: input.agencyId ?? null,
    includeInactive: input.includeInactive ?? false,
  };
}

/** An account the caller may see, or null: one outside its tenant is as absent as an unknown id. */
export function loadVisibleUser(context: CenterContext, id: string): Promise<UserRow | null> {
  requireViewer(context.viewer);
  return context.loaders.user.load(id);
}

export async function getUser(context: CenterContext, id: string): Promise<UserRow> {
  const user = await loadVisibleUser(context, id);
  if (!user) throw notFound('User', id);
  return user;
}

/** One page of the accounts the caller may see; the filter narrows within them, it never widens. */
export async function listVisibleUsers(context: CenterContext, input: UserFilterInput, args: PageArgs): Promise<Connection<UserRow>> {
  const scope = tenantScopeOf(requireViewer(context.viewer));
  const filter = toRepositoryFilter(input);
  const page = parsePage(args);
  const rows = await listUsers(context.db, scope, filter, page);
  return toConnection(rows, page, (row) => ({ key: row.email, id: row.id }));
}

function requirePassword(password: string): void {
  // Counted in characters a person types, not UTF-16 units.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw badInput(`\`password\` must be at least ${MIN_PASSWORD_LENGTH} characters.`, 'password');
  if (length > MAX_PASSWORD_LENGTH) throw badInput(`\`password\` must be at most ${MAX_PASSWORD_LENGTH} characters.`, 'password');
}

/** A hospital role belongs to one hospital, an EMS role to one agency, a center role to neither. */
function requireTenant(input: CreateUserInput): { hospitalId: string | null; agencyId: string | null } {
  const kind = TENANT_OF_ROLE[input.role];
  const hospitalId = input.hospitalId ?? null;
  const agencyId = input.agencyId ?? null;
  if (kind !== 'HOSPITAL' && hospitalId) {
    throw badInput(`An account with role ${input.role} does not belong to a hospital; leave \`hospitalId\` out.`, 'hospitalId');
  }
  if (kind !== 'EMS' && agencyId) {
    throw badInput(`An account with role ${input.role} does not belong to an agency; leave \`agencyId\` out.`, 'agencyId');
  }
  if (kind === 'HOSPITAL' && !hospitalId) throw badInput(`An account with role ${input.role} needs \`hospitalId\`.`, 'hospitalId');
  if (kind === 'EMS' && !agencyId) throw badInput(`An account with role ${input.role} needs \`agencyId\`.`, 'agencyId');
  return { hospitalId, agencyId };
}

export function createUser(context: CenterContext, input: CreateUserInput): Promise<UserRow> {
  // References only: the new account's role and tenant, never its email or password.
  const details = { role: input.role, hospitalId: input.hospitalId ?? null, agencyId: input.agencyId ?? null };
  return auditedChange(context, { action: AuditAction.CREATE_USER, entityType: 'User', entityId: null, details }, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'open accounts');
    const email = requireEmail(input.email, 'email');
    const name = requireText(input.name, 'name');
    requirePassword(input.password);
    const tenant = requireTenant(input);
    if (tenant.hospitalId) {
      const hospital = isId(tenant.hospitalId) ? await context.loaders.hospital.load(tenant.hospitalId) : null;
      if (!hospital) throw notFound('Hospital', tenant.hospitalId);
    }
    if (tenant.agencyId) {
      // The center knows an agency by its registration; an account for an agency outside the network is a mistake.
      const registration = isId(tenant.agencyId) ? await findRegistrationByAgencyId(context.db, tenant.agencyId) : undefined;
      if (!registration) throw notFound('Agency', tenant.agencyId);
    }
    // Hashing is slow on purpose, so it comes after every cheap check has passed, and before the transaction opens.
    const passwordHash = await withPasswordCheckSlot(() => hashPassword(input.password));
    return commit(
      async (trx) => {
        const user = await insertUser(trx, {
          id: newId(),
          email,
          password_hash: passwordHash,
          name,
          role: input.role,
          hospital_id: tenant.hospitalId,
          agency_id: tenant.agencyId,
        });
        if (!user) throw conflict(`An account with the email ${email} already exists.`);
        return user;
      },
      (user) => user.id,
    );
  });
}

export function setUserActive(context: CenterContext, id: string, isActive: boolean): Promise<UserRow> {
  const target = { action: AuditAction.SET_USER_ACTIVE, entityType: 'User', entityId: isId(id) ? id : null, details: { isActive } };
  return auditedChange(context, target, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'activate or deactivate accounts');
    if (!isId(id)) throw notFound('User', id);
    return commit(
      async (trx) => {
        const user = await updateUserActive(trx, id, isActive);
        if (!user) throw notFound('User', id);
        // A deactivated account's sessions end now and for good: reactivating it later does not revive a refresh
        // token someone may have kept. Its access tokens are refused from now on, in every silo within seconds.
        if (!isActive) {
          for (const session of await revokeRefreshTokensOfUser(trx, user.id)) await revokeAccess(trx, user.id, session);
        }
        return user;
      },
      (user) => user.id,
    );
  });
}
