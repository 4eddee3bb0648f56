import { label, type Executor } from '@medport/database';
import { sql } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import type { NewRefreshTokenRow, NewSignInAttemptRow, NewSigningKeyRow, RefreshTokenRow, SigningKeyRow } from './auth.table.js';

/** Keys retired less than `graceSeconds` ago still verify; measured on the database's clock, shared by replicas. */
const stillPublished = (graceSeconds: number) => sql<boolean>`(retired_at is null or retired_at > now() - make_interval(secs => ${graceSeconds}))`;

/** The key that signs: the newest one not retired (ties, from replicas racing to create one, go by kid). */
export function findNewestActiveSigningKey(db: Executor<CenterDatabase>): Promise<SigningKeyRow | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .limit(1)
    .modifyEnd(label('findNewestActiveSigningKey'))
    .executeTakeFirst();
}

export function insertSigningKey(db: Executor<CenterDatabase>, row: NewSigningKeyRow): Promise<SigningKeyRow> {
  return db.insertInto('signing_keys').values(row).returningAll().modifyEnd(label('insertSigningKey')).executeTakeFirstOrThrow();
}

export async function retireActiveSigningKeys(db: Executor<CenterDatabase>): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ retired_at: sql<Date>`now()` })
    .where('retired_at', 'is', null)
    .modifyEnd(label('retireActiveSigningKeys'))
    .execute();
}

/** Public halves of the keys that verify tokens today, newest first. Private keys are not even selected. */
export function listPublishedSigningKeys(
  db: Executor<CenterDatabase>,
  graceSeconds: number,
): Promise<Pick<SigningKeyRow, 'kid' | 'public_jwk' | 'retired_at'>[]> {
  return db
    .selectFrom('signing_keys')
    .select(['kid', 'public_jwk', 'retired_at'])
    .where(stillPublished(graceSeconds))
    .orderBy('created_at', 'desc')
    .modifyEnd(label('listPublishedSigningKeys'))
    .execute();
}

export function findPublishedSigningKey(
  db: Executor<CenterDatabase>,
  kid: string,
  graceSeconds: number,
): Promise<Pick<SigningKeyRow, 'kid' | 'public_jwk'> | undefined> {
  return db
    .selectFrom('signing_keys')
    .select(['kid', 'public_jwk'])
    .where('kid', '=', kid)
    .where(stillPublished(graceSeconds))
    .modifyEnd(label('findPublishedSigningKey'))
    .executeTakeFirst();
}

export async function insertRefreshToken(db: Executor<CenterDatabase>, row: NewRefreshTokenRow): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).modifyEnd(label('insertRefreshToken')).execute();
}

/**
 * The token with this hash, locked until the transaction ends: two requests presenting one token are served
 * one after the other, so the second sees it spent (reuse) instead of both rotating it.
 */
export function lockRefreshTokenByHash(db: Executor<CenterDatabase>, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .modifyEnd(label('lockRefreshTokenByHash'))
    .executeTakeFirst();
}

export async function markRefreshTokenUsed(db: Executor<CenterDatabase>, id: string): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .modifyEnd(label('markRefreshTokenUsed'))
    .execute();
}

/** Revokes every token of a family that is not revoked yet, the newest included. */
export async function revokeRefreshTokenFamily(db: Executor<CenterDatabase>, familyId: string): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .modifyEnd(label('revokeRefreshTokenFamily'))
    .execute();
}

/** Revokes every session of an account (all its refresh-token families), e.g. when the account is deactivated. */
export async function revokeRefreshTokensOfUser(db: Executor<CenterDatabase>, userId: string): Promise<string[]> {
  const revoked = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('family_id')
    .modifyEnd(label('revokeRefreshTokensOfUser'))
    .execute();
  // The sessions that were still open: each ends its access tokens too.
  return [...new Set(revoked.map((row) => row.family_id))];
}

/**
 * The same for the family of the token with this hash, in one statement. Returns the account and family it ended,
 * or undefined when no token has the hash or its family was already revoked.
 */
export async function revokeRefreshTokenFamilyOfHash(
  db: Executor<CenterDatabase>,
  tokenHash: string,
): Promise<Pick<RefreshTokenRow, 'user_id' | 'family_id'> | undefined> {
  const revoked = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('family_id', 'in', (eb) => eb.selectFrom('refresh_tokens as presented').select('presented.family_id').where('presented.token_hash', '=', tokenHash))
    .where('revoked_at', 'is', null)
    .returning(['user_id', 'family_id'])
    .modifyEnd(label('revokeRefreshTokenFamilyOfHash'))
    .execute();
  // A family belongs to one account, so every row names the same one.
  return revoked[0];
}

/** Attempts newer than `windowSeconds` count; measured on the database's clock, shared by replicas. */
const withinWindow = (windowSeconds: number) => sql<boolean>`attempted_at > now() - make_interval(secs => ${windowSeconds})`;

/**
 * Holds one email's sign-in attempts until the transaction ends (an advisory lock on its hash): concurrent sign-ins
 * with one email count and record their attempts one after the other, so they cannot all see room under the limit.
 * Two emails whose hashes collide in `hashtext` merely wait for each other.
 */
export async function lockSignInAttempts(db: Executor<CenterDatabase>, emailHash: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`sign_in_attempts/${emailHash}`})) ${label('lockSignInAttempts')}`.execute(db);
}

/** Forgets one email's attempts older than the window: the table stays small without a scheduled clean-up. */
export async function deleteExpiredSignInAttempts(db: Executor<CenterDatabase>, emailHash: string, windowSeconds: number): Promise<void> {
  await db
    .deleteFrom('sign_in_attempts')
    .where('email_hash', '=', emailHash)
    .where((eb) => eb.not(withinWindow(windowSeconds)))
    .modifyEnd(label('deleteExpiredSignInAttempts'))
    .execute();
}

/** One email's attempts within the window: all of them, and those of one client. */
export async function countSignInAttempts(
  db: Executor<CenterDatabase>,
  emailHash: string,
  clientHash: string,
  windowSeconds: number,
): Promise<{ total: number; fromClient: number }> {
  const counts = await db
    .selectFrom('sign_in_attempts')
    .select([
      sql<string | number | bigint>`count(*)`.as('total'),
      sql<string | number | bigint>`count(*) filter (where client_hash = ${clientHash})`.as('from_client'),
    ])
    .where('email_hash', '=', emailHash)
    .where(withinWindow(windowSeconds))
    .modifyEnd(label('countSignInAttempts'))
    .executeTakeFirstOrThrow();
  return { total: Number(counts.total), fromClient: Number(counts.from_client) };
}

export async function insertSignInAttempt(db: Executor<CenterDatabase>, row: NewSignInAttemptRow): Promise<void> {
  await db.insertInto('sign_in_attempts').values(row).modifyEnd(label('insertSignInAttempt')).execute();
}

/** Forgets the attempts of one email from one client: a successful sign-in starts that count afresh. */
export async function deleteSignInAttempts(db: Executor<CenterDatabase>, emailHash: string, clientHash: string): Promise<void> {
  await db
    .deleteFrom('sign_in_attempts')
    .where('email_hash', '=', emailHash)
    .where('client_hash', '=', clientHash)
    .modifyEnd(label('deleteSignInAttempts'))
    .execute();
}
