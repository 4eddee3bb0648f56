import { label } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/**
 * Failed sign-in attempts, for the sign-in throttle (modules/auth/sign-in-throttle.ts). Every statement is labelled;
 * Kysely's index and drop builders take no trailing comment, so those two are written out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    // Only the hex SHA-256 of the normalised email: the shape check makes storing the email itself fail.
    .addColumn('email_hash', 'text', (col) => col.notNull().check(sql`email_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('attempted_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .modifyEnd(label('migration_0004.createSignInAttempts'))
    .execute();
  // Every sign-in counts (and prunes) one email's attempts within the window.
  await sql`create index sign_in_attempts_email_time_idx on sign_in_attempts (email_hash, attempted_at) ${label('migration_0004.createSignInAttemptsIndex')}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table sign_in_attempts ${label('migration_0004.dropSignInAttempts')}`.execute(db);
}
