import { createHash } from 'node:crypto';
import type { Executor } from '@medport/database';
import { newId } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { countSignInAttempts, deleteExpiredSignInAttempts, deleteSignInAttempts, insertSignInAttempt, lockSignInAttempts } from './auth.repository.js';

/**
 * How much password guessing one email is allowed: 10 failed sign-ins within 15 minutes, then no more until the
 * oldest of them is 15 minutes old. The one place these numbers live.
 *
 * Why these: a person who mistypes a password a few times, or tries the old one after a change, never meets the
 * limit, while a guesser gets at most about 960 tries a day per account, far too few against passwords of 12 or more
 * characters (NIST SP 800-63B asks for at most 100 consecutive failures). The refusal is temporary, never a lock a
 * help desk has to lift in the middle of a night shift: someone who wants to keep a nurse or dispatcher out has to
 * keep sending 10 wrong passwords every 15 minutes, and refused attempts do not count, so they cannot push the
 * window further out; 15 minutes after they stop, the account works again.
 */
export const SIGN_IN_THROTTLE = { maxFailures: 10, windowSeconds: 15 * 60 } as const;

/** The key attempts are counted under: the normalised email's SHA-256 (hex), never the email itself. */
export const signInAttemptKey = (normalizedEmail: string) => createHash('sha256').update(normalizedEmail).digest('hex');

/**
 * Admits a sign-in attempt or refuses it as throttled. An admitted attempt is recorded at once as a failure (it
 * is counted and recorded in one transaction, under a lock per email, so concurrent attempts cannot slip past the
 * limit); the sign-in that succeeds clears it with `clearSignInFailures`. The password is checked after this
 * transaction, which so never holds a connection (the embedded database's only one) through a slow scrypt.
 */
export async function admitSignInAttempt(db: Kysely<CenterDatabase>, emailHash: string): Promise<boolean> {
  const { maxFailures, windowSeconds } = SIGN_IN_THROTTLE;
  return db.transaction().execute(async (trx) => {
    await lockSignInAttempts(trx, emailHash);
    await deleteExpiredSignInAttempts(trx, emailHash, windowSeconds);
    if ((await countSignInAttempts(trx, emailHash, windowSeconds)) >= maxFailures) return false;
    await insertSignInAttempt(trx, { id: newId(), email_hash: emailHash });
    return true;
  });
}

/** A successful sign-in: the email's failures are forgotten, and its next mistypes start from zero. */
export function clearSignInFailures(db: Executor<CenterDatabase>, emailHash: string): Promise<void> {
  return deleteSignInAttempts(db, emailHash);
}
