import { createHash, randomBytes } from 'node:crypto';
import { auditedChange } from '@medport/audit';
import { CENTER_ADMIN_ROLES, requireRole, signAccessToken, unauthenticated, type SigningKey, type Viewer } from '@medport/auth';
import type { Executor } from '@medport/database';
import { newId } from '@medport/domain';
import { decodeJwt } from 'jose';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import type { CenterDatabase } from '../../database.js';
import { currentScryptParameters, hashPassword, isPasswordHash, needsRehash, verifyPassword } from '../users/passwords.js';
import { MAX_PASSWORD_LENGTH } from '../users/users.manager.js';
import { EVERY_USER, findUserForSignIn, findUsersByIds, recordSignIn, replacePasswordHash } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import {
  insertRefreshToken,
  lockRefreshTokenByHash,
  markRefreshTokenUsed,
  revokeRefreshTokenFamily,
  revokeRefreshTokenFamilyOfHash,
} from './auth.repository.js';
import { ACCESS_TOKEN_TTL_SECONDS, activeSigningKey, rotateSigningKey } from './keys.js';
import { revokeAccess } from './revocations.js';
import { admitClientAttempt, clientKeyOf, signInClientHash, withPasswordCheckSlot } from './sign-in-limits.js';
import { admitSignInAttempt, clearSignInFailures, signInAttemptKey } from './sign-in-throttle.js';

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const REFRESH_TOKEN_BYTES = 32;
/** 32 random bytes in base64url: anything else was never issued, and costs no query. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

// One message for every refused sign-in: which of email, password or account state was wrong is not told.
const SIGN_IN_REFUSED = 'Email or password is wrong.';
// The same whether or not an account has the email: unknown emails are throttled alike.
const SIGN_IN_THROTTLED = 'Too many failed sign-ins; try again in a few minutes.';
const REFRESH_REFUSED = 'The refresh token is not valid; sign in again.';

let dummyPasswordHash: string | undefined;

/**
 * A well-formed hash (current parameters, full-length key) of no password: an unknown email, or an account with no
 * usable password, runs the same scrypt verification against it as a known one, so the time a refusal takes does
 * not tell whether the account exists.
 */
function unmatchableHash(): string {
  const { N, r, p } = currentScryptParameters();
  dummyPasswordHash ??= `scrypt$${N}$${r}$${p}$${Buffer.alloc(16, 0x5a).toString('base64')}$${Buffer.alloc(64, 0xa5).toString('base64')}`;
  return dummyPasswordHash;
}

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

const viewerOf = (user: UserRow): Viewer => ({ userId: user.id, role: user.role, hospitalId: user.hospital_id, agencyId: user.agency_id });

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
    viewerOf(user),
    { issuer: context.auth.issuer, audience: context.auth.audience, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS, sessionId: familyId },
  );
  // The token's own exp claim, so the two can never disagree by a rounded second.
  return { accessToken, refreshToken, accessTokenExpiresAt: new Date(decodeJwt(accessToken).exp! * 1000), user };
}

/** Why a sign-in was refused, for the audit trail only: the caller is told nothing of it. */
type SignInRefusal = 'UNKNOWN_ACCOUNT' | 'WRONG_PASSWORD' | 'INACTIVE_ACCOUNT' | 'THROTTLED';

type SignInAccount = NonNullable<Awaited<ReturnType<typeof findUserForSignIn>>>;

interface PasswordCheck {
  admitted: boolean;
  account: SignInAccount | undefined;
  matches: boolean;
  /** The password hashed with the current parameters, when it was right and its stored hash has others. */
  upgradedHash: string | null;
}

/**
 * The throttle's admission and the password check, in one of the few password-check slots (sign-in-limits.ts). The
 * cost is that of one scrypt at the current parameters on every path, whatever is wrong: an unknown email or an
 * account without a usable password checks against an unmatchable hash, and a hash with other parameters than the
 * current ones (older, cheaper ones) is followed by a rehash of the right password or, for any refusal, by a check
 * against the unmatchable hash.
 */
function checkPassword(context: CenterContext, normalizedEmail: string, password: string, attemptKey: string, clientHash: string): Promise<PasswordCheck> {
  return withPasswordCheckSlot(async () => {
    const admitted = await admitSignInAttempt(context.db, attemptKey, clientHash);
    const account = normalizedEmail.length <= 254 ? await findUserForSignIn(context.db, normalizedEmail) : undefined;
    if (!admitted) return { admitted, account, matches: false, upgradedHash: null };
    // No account has a password this long, so it cannot match; checking '' instead keeps the cost the same.
    const tooLong = [...password].length > MAX_PASSWORD_LENGTH;
    const stored = account && isPasswordHash(account.password_hash) ? account.password_hash : unmatchableHash();
    const matches = (await verifyPassword(tooLong ? '' : password, stored)) && !tooLong;
    let upgradedHash: string | null = null;
    if (needsRehash(stored)) {
      if (matches && account?.is_active) upgradedHash = await hashPassword(password);
      else await verifyPassword('', unmatchableHash());
    }
    return { admitted, account, matches, upgradedHash };
  });
}

/**
 * Signs in. Every attempt the limits let through leaves one LOGIN row in the audit trail: ALLOWED with the account
 * as actor, written in the transaction that opens the session; DENIED with the account's id when there is one and
 * the reason, but never the email or password typed (an unknown email may be someone's password typed in the wrong
 * box).
 *
 * First come the limits of sign-in-limits.ts, which cost no database work: a client address that has made too many
 * attempts, or a service already checking too many passwords, gets TOO_MANY_REQUESTS and nothing else happens.
 * Password guessing is then throttled per email and client address (sign-in-throttle.ts), known email or not: once
 * an email has had too many failures lately, from that client or from all of them, its attempts are refused
 * (THROTTLED) without checking the password, even a right one. A right password whose hash has older parameters
 * is rehashed, and the new hash stored with the sign-in.
 */
export async function login(context: CenterContext, email: string, password: string): Promise<AuthPayload> {
  const clientKey = clientKeyOf(context.clientAddress);
  admitClientAttempt(clientKey);
  const normalizedEmail = email.trim().toLowerCase();
  const attemptKey = signInAttemptKey(normalizedEmail);
  const clientHash = signInClientHash(clientKey);
  const { admitted, account, matches, upgradedHash } = await checkPassword(context, normalizedEmail, password, attemptKey, clientHash);
  if (!admitted) {
    await context.audit.append({
      action: AuditAction.LOGIN,
      entityType: 'User',
      entityId: account?.id ?? null,
      outcome: 'DENIED',
      details: { reason: 'THROTTLED' satisfies SignInRefusal },
    });
    throw unauthenticated(SIGN_IN_THROTTLED);
  }
  const refusal: SignInRefusal | null = !account ? 'UNKNOWN_ACCOUNT' : !matches ? 'WRONG_PASSWORD' : !account.is_active ? 'INACTIVE_ACCOUNT' : null;
  if (!account || refusal) {
    await context.audit.append({
      action: AuditAction.LOGIN,
      entityType: 'User',
      entityId: account?.id ?? null,
      outcome: 'DENIED',
      details: { reason: refusal },
    });
    throw unauthenticated(SIGN_IN_REFUSED);
  }

  const key = await activeSigningKey(context.db);
  return context.db.transaction().execute(async (trx) => {
    const { password_hash: _, ...known } = account;
    const user = (await recordSignIn(trx, account.id)) ?? known;
    // Only over the hash that was checked: a password changed meanwhile is not overwritten with the old one.
    if (upgradedHash) await replacePasswordHash(trx, account.id, account.password_hash, upgradedHash);
    await clearSignInFailures(trx, attemptKey, clientHash);
    const session = await issueTokens(trx, context, key, user, newId());
    // The request had no caller; from now on the account is one, and it is the actor of its own sign-in.
    await context.audit.append(
      { action: AuditAction.LOGIN, entityType: 'User', entityId: user.id, outcome: 'ALLOWED' },
      { executor: trx, actor: viewerOf(user) },
    );
    return session;
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
      // Committed together with the refusal below, which is thrown only after the transaction. The one who
      // presented the token is unknown (the owner or a thief), so the row names the account, not an actor.
      await revokeRefreshTokenFamily(trx, token.family_id);
      await revokeAccess(trx, token.user_id, token.family_id);
      await context.audit.append(
        { action: AuditAction.REFRESH_TOKEN_REUSE, entityType: 'User', entityId: token.user_id, outcome: 'DENIED', details: { familyId: token.family_id } },
        { executor: trx },
      );
      return { refused: 'reused', ...who };
    }
    // The token's own account, whoever holds the token: not a read on behalf of a caller, so not scoped.
    const [user] = await findUsersByIds(trx, [token.user_id], EVERY_USER);
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

/**
 * Ends the session the token belongs to. Always true: whether the token existed is not told. The LOGOUT row names
 * the account and session that ended, or none when the token ended nothing (unknown, or already revoked).
 */
export async function logout(context: CenterContext, presented: string): Promise<true> {
  await context.db.transaction().execute(async (trx) => {
    const ended = REFRESH_TOKEN.test(presented) ? await revokeRefreshTokenFamilyOfHash(trx, hashRefreshToken(presented)) : undefined;
    if (ended) await revokeAccess(trx, ended.user_id, ended.family_id);
    await context.audit.append(
      {
        action: AuditAction.LOGOUT,
        entityType: 'User',
        entityId: ended?.user_id ?? null,
        outcome: 'ALLOWED',
        details: { sessionEnded: ended !== undefined, familyId: ended?.family_id ?? null },
      },
      { executor: trx },
    );
  });
  return true;
}

export function rotateSigningKeys(context: CenterContext): Promise<SigningKeyInfo> {
  return auditedChange(context, { action: AuditAction.ROTATE_SIGNING_KEY, entityType: 'SigningKey', entityId: null }, async (commit) => {
    const admin = requireRole(context.viewer, CENTER_ADMIN_ROLES, 'rotate the signing key');
    const row = await commit(
      (trx) => rotateSigningKey(trx),
      (key) => key.kid,
    );
    context.logger.info({ kid: row.kid, userId: admin.userId }, 'signing key rotated');
    // Only what the schema shows: the row also holds the private key, which must not travel further.
    return { kid: row.kid, createdAt: row.created_at };
  });
}
