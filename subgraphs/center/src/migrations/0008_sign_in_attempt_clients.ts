import { label } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/**
 * Failed sign-ins are counted per email and client address too (modules/auth/sign-in-throttle.ts). Rows from
 * before have no client: they still count towards their email's total until they age out of the window.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Only the hex SHA-256 of the client's key: the shape check makes storing an address itself fail.
  await sql`alter table sign_in_attempts add column client_hash text check (client_hash ~ '^[0-9a-f]{64}$') ${label('migration_0008.addSignInAttemptClient')}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table sign_in_attempts drop column client_hash ${label('migration_0008.dropSignInAttemptClient')}`.execute(db);
}
