import { createHash, randomBytes } from 'node:crypto';
import { signAccessToken, unauthenticated, type SigningKey } from '@medport/auth';
import type { Executor } from '@medport/database';
import { newId } from '@medport/domain';
import { userError } from '@medport/graphql';
import { decodeJwt } from 'jose';
import type { CenterContext } from '../../context.js';
import type { CenterDatabase } from '../../database.js';
import { SCRYPT_PARAMETERS, verifyPassword } from '../users/passwords.js';
import { MAX_PASSWORD_LENGTH } from '../users/users.manager.js';
import { findUserForSignIn, findUsersByIds, recordSignIn } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import {
  insertRefreshToken,
  lockRefreshTokenByHash,
  markRefreshTokenUsed,
  revokeRefreshTokenFamily,
  revokeRefreshTokenFamilyOfHash,
} from './auth.repository.js';
import { ACCESS_TOKEN_TTL_SECONDS, activeSigningKey, rotateSigningKey } from './keys.js';

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const REFRESH_TOKEN_BYTES = 32;
/** 32 random bytes in base64url: anything else was never issued, and costs no query. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

// One message for every refused sign-in: which of email, password or account state was wrong is not told.
const SIGN_IN_REFUSED = 'Email or password is wrong.';
const REFRESH_REFUSED = 'The refresh token is not valid; sign in again.';

/**
 * A well-formed hash (current parameters, full-length key) of no password: an unknown email runs the same scrypt
 * verification against it as a known one, so the time a refusal takes does not tell whether the account exists.
 */
const DUMMY_PASSWORD_HASH = `scrypt$${SCRYPT_PARAMETERS.N}$${SCRYPT_PARAMETERS.r}$${SCRYPT_PARAMETERS.p}$${Buffer.alloc(16, 0x5a).toString('base64')}$${Buffer.alloc(64, 0xa5).toString('base64')}`;

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  user: UserRow;
}

export interface SigningKeyInfo {
  kid: string;
  createdAt: Date;
}

/** Only the hash is stored and looked up; the token itself exists only at the client. */
const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new refresh token of the family (stored hashed) and an access token signed with the active key. */
async function issueTokens(
  trx: Executor<CenterDatabase>,
  context: CenterContext,
  key: SigningKey,
  user: UserRow,
  familyId: string,
): Promise<AuthPayload> {
  const refreshToken = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
  await insertRefreshToken(trx, {
    id: newId(),
    family_id: familyId,
    user_id: user.id,
    token_hash: hashRefreshToken(refreshToken),
    expires_at: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  const accessToken = await signAccessToken(
    key,
    { userId: user.id, role: user.role, hospitalId: user.hospital_id, agencyId: user.agency_id },
    { issuer: context.auth.issuer, audience: context.auth.audience, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS },
  );
  // The token's own exp claim, so the two can never disagree by a rounded second.
  return { accessToken, refreshToken, accessTokenExpiresAt: new Date(decodeJwt(accessToken).exp! * 1000), user };
}

export async function login(context: CenterContext, email: string, password: string): Promise<AuthPayload> {
  const normalizedEmail = email.trim().toLowerCase();
  const account = normalizedEmail.length <= 254 ? await findUserForSignIn(context.db, normalizedEmail) : undefined;
  // No account has a password this long, so it cannot match; checking '' instead keeps the cost the same.
  const tooLong = [...password].length > MAX_PASSWORD_LENGTH;
  // Exactly one scrypt verification on every path, whatever is wrong.
  const matches = await verifyPassword(tooLong ? '' : password, account?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!account || !matches || tooLong || !account.is_active) throw unauthenticated(SIGN_IN_REFUSED);

  const key = await activeSigningKey(context.db);
  return context.db.transaction().execute(async (trx) => {
    const { password_hash: _, ...known } = account;
    const user = (await recordSignIn(trx, account.id)) ?? known;
    return issueTokens(trx, context, key, user, newId());
  });
}

type RefreshOutcome = { session: AuthPayload } | { refused: 'unknown' | 'expired' | 'reused' | 'inactive'; userId?: string; familyId?: string };

/**
 * Rotates a refresh token: the presented one is spent and a new one of the same family issued. A spent or
 * revoked token presented again means two parties hold the family (one of them stole it): the whole family is
 * revoked, so the thief's tokens and the owner's alike stop working, and the owner signs in again.
 */
export async function refreshSession(context: CenterContext, presented: string): Promise<AuthPayload> {
  if (!REFRESH_TOKEN.test(presented)) throw unauthenticated(REFRESH_REFUSED);
  const key = await activeSigningKey(context.db);
  const outcome = await context.db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
    const token = await lockRefreshTokenByHash(trx, hashRefreshToken(presented));
    if (!token) return { refused: 'unknown' };
    const who = { userId: token.user_id, familyId: token.family_id };
    if (token.expires_at.getTime() <= Date.now()) return { refused: 'expired', ...who };
    if (token.used_at !== null || token.revoked_at !== null) {
      // Committed together with the refusal below, which is thrown only after the transaction.
      await revokeRefreshTokenFamily(trx, token.family_id);
      return { refused: 'reused', ...who };
    }
    const [user] = await findUsersByIds(trx, [token.user_id]);
    if (!user?.is_active) {
      // A deactivated account's sessions end for good; reactivating it does not bring them back.
      await revokeRefreshTokenFamily(trx, token.family_id);
      return { refused: 'inactive', ...who };
    }
    await markRefreshTokenUsed(trx, token.id);
    return { session: await issueTokens(trx, context, key, user, token.family_id) };
  });
  if ('refused' in outcome) {
    if (outcome.refused === 'reused') {
      context.logger.warn({ userId: outcome.userId, familyId: outcome.familyId }, 'spent refresh token presented again; its family is revoked');
    }
    throw unauthenticated(REFRESH_REFUSED);
  }
  return outcome.session;
}

/** Ends the session the token belongs to. Always true: whether the token existed is not told. */
export async function logout(context: CenterContext, presented: string): Promise<true> {
  if (REFRESH_TOKEN.test(presented)) await revokeRefreshTokenFamilyOfHash(context.db, hashRefreshToken(presented));
  return true;
}

export async function rotateSigningKeys(context: CenterContext): Promise<SigningKeyInfo> {
  if (context.viewer?.role !== 'CENTER_ADMIN') throw userError('FORBIDDEN', 'Only a center administrator can rotate the signing key.');
  const row = await rotateSigningKey(context.db);
  context.logger.info({ kid: row.kid, userId: context.viewer.userId }, 'signing key rotated');
  // Only what the schema shows: the row also holds the private key, which must not travel further.
  return { kid: row.kid, createdAt: row.created_at };
}
