import type { UserRole } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Every account of the network: hospital, EMS and center staff, each with a role and (per role) a tenant. */
export interface UsersTable {
  id: string;
  /** Stored lower-cased; unique regardless of case. */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (see passwords.ts). Never selected by the reads that serve the API. */
  password_hash: string;
  name: string;
  role: UserRole;
  hospital_id: string | null;
  agency_id: string | null;
  permissions: ColumnType<string[], string[] | undefined, string[]>;
  is_active: Generated<boolean>;
  last_login_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * The columns the API reads. The password hash is left out of every ordinary read, so it cannot end up in a
 * response, a log line or an error by accident; only sign-in reads it, with its own statement.
 */
export const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'role',
  'hospital_id',
  'agency_id',
  'permissions',
  'is_active',
  'last_login_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];

export type UserRow = Pick<Selectable<UsersTable>, (typeof USER_COLUMNS)[number]>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
