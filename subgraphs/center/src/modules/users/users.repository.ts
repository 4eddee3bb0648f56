import type { TenantScope } from '@medport/auth';
import { label, type Executor } from '@medport/database';
import type { UserRole } from '@medport/domain';
import { cursorText, type Page } from '@medport/graphql';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { USER_COLUMNS, type NewUserRow, type UserRow } from './users.table.js';

/**
 * Which accounts a read may return: all of them, those of one hospital or one agency, or none (a token whose
 * role names a tenant it does not carry). Every read that serves a caller takes one (`tenantScopeOf` its caller),
 * so the condition is part of the SQL and a list pages over exactly the accounts the caller may see.
 */
export type UserScope = TenantScope;

export const EVERY_USER: UserScope = { kind: 'ALL' };

function withinScope<O>(query: SelectQueryBuilder<CenterDatabase, 'users', O>, scope: UserScope) {
  switch (scope.kind) {
    case 'ALL':
      return query;
    case 'HOSPITAL':
      return query.where('hospital_id', '=', scope.hospitalId);
    case 'AGENCY':
      return query.where('agency_id', '=', scope.agencyId);
    case 'NONE':
      return query.where(sql<boolean>`false`);
  }
}

export interface UserFilter {
  roles?: UserRole[] | null;
  hospitalId?: string | null;
  agencyId?: string | null;
  includeInactive?: boolean | null;
}

/** The accounts with these ids that the scope lets through; the others are simply absent. */
export function findUsersByIds(db: Executor<CenterDatabase>, ids: readonly string[], scope: UserScope): Promise<UserRow[]> {
  return withinScope(db.selectFrom('users').select(USER_COLUMNS).where('id', 'in', ids), scope)
    .modifyEnd(label('findUsersByIds'))
    .execute();
}

/** Users within the scope sorted by email; the cursor carries the email and id of the last one. */
export function listUsers(db: Executor<CenterDatabase>, scope: UserScope, filter: UserFilter, page: Page): Promise<UserRow[]> {
  let query = withinScope(db.selectFrom('users').select(USER_COLUMNS), scope);
  if (filter.roles?.length) query = query.where('role', 'in', filter.roles);
  if (filter.hospitalId) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.agencyId) query = query.where('agency_id', '=', filter.agencyId);
  if (!filter.includeInactive) query = query.where('is_active', '=', true);
  if (page.after) {
    const email = cursorText(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('email', '>', email), eb.and([eb('email', '=', email), eb('id', '>', id)])]));
  }
  return query.orderBy('email').orderBy('id').limit(page.limit + 1).modifyEnd(label('listUsers')).execute();
}

/**
 * Inserts an account, or nothing when the email is taken (whatever its case). Returns undefined in that case:
 * the unique index decides, so two concurrent sign-ups with one email cannot both win.
 */
export function insertUser(db: Executor<CenterDatabase>, row: NewUserRow): Promise<UserRow | undefined> {
  return db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returning(USER_COLUMNS)
    .modifyEnd(label('insertUser'))
    .executeTakeFirst();
}

export function updateUserActive(db: Executor<CenterDatabase>, id: string, isActive: boolean): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ is_active: isActive, updated_at: new Date() })
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .modifyEnd(label('updateUserActive'))
    .executeTakeFirst();
}

/**
 * The one read of a password hash: sign-in's, by the lower-cased email (the unique index on lower(email) serves
 * it). Inactive accounts are returned too, so refusing them costs the same password check as any other refusal.
 */
export function findUserForSignIn(db: Executor<CenterDatabase>, email: string): Promise<(UserRow & { password_hash: string }) | undefined> {
  return db
    .selectFrom('users')
    .select([...USER_COLUMNS, 'password_hash'])
    .where(sql`lower(email)`, '=', email)
    .modifyEnd(label('findUserForSignIn'))
    .executeTakeFirst();
}

/** A rehashed password: written only while the account still has the hash it replaces. */
export async function replacePasswordHash(db: Executor<CenterDatabase>, id: string, previousHash: string, newHash: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: newHash })
    .where('id', '=', id)
    .where('password_hash', '=', previousHash)
    .modifyEnd(label('replacePasswordHash'))
    .execute();
}

export function recordSignIn(db: Executor<CenterDatabase>, id: string): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ last_login_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .modifyEnd(label('recordSignIn'))
    .executeTakeFirst();
}
