import { createHash } from 'node:crypto';
import type { Executor } from '@medport/database';
import { newId } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { countSignInAttempts, deleteExpiredSignInAttempts, deleteSignInAttempts, insertSignInAttempt, lockSignInAttempts } from './auth.repository.js';

/**
 * How much password guessing one email is allowed: 10 failed sign-ins within 15 minutes from one client address,
 * and 100 from all of them together; beyond either, no more from where it was met until the oldest of those
 * failures is 15 minutes old. The one place these numbers live.
 *
 * Why these: a person who mistypes a password a few times, or tries the old one after a change, never meets the
 * limit, while a guesser at one address gets at most about 960 tries a day per account, and guessers at many
 * addresses together about 9,600, far too few against passwords of 12 or more characters. The refusal is temporary,
 * never a lock a help desk has to lift in the middle of a night shift, and it is where the guessing comes from:
 * 10 wrong passwords from one address keep that address out, not the account's owner at another. Keeping an owner
 * out takes 100 wrong passwords every 15 minutes from at least 10 addresses (each one's failures stop counting at
 * 10); refused attempts do not count, so nobody can push the window further out; 15 minutes after the guessing
 * stops, the account works again everywhere.
 */
export const SIGN_IN_THROTTLE = { maxFailuresPerClient: 10, maxFailures: 100, windowSeconds: 15 * 60 } as const;

/** The key attempts are counted under: the normalised email's SHA-256 (hex), never the email itself. */
export const signInAttemptKey = (normalizedEmail: string) => createHash('sha256').update(normalizedEmail).digest('hex');

/**
 * Admits a sign-in attempt of one email from one client (`clientHash`, see `signInClientHash`) or refuses it as
 * throttled. An admitted attempt is recorded at once as a failure (it is counted and recorded in one transaction,
 * under a lock per email, so concurrent attempts cannot slip past the limits); the sign-in that succeeds clears it
 * with `clearSignInFailures`. The password is checked after this transaction, which so never holds a connection
 * (the embedded database's only one) through a slow scrypt.
 */
export async function admitSignInAttempt(db: Kysely<CenterDatabase>, emailHash: string, clientHash: string): Promise<boolean> {
  const { maxFailuresPerClient, maxFailures, windowSeconds } = SIGN_IN_THROTTLE;
  return db.transaction().execute(async (trx) => {
    await lockSignInAttempts(trx, emailHash);
    await deleteExpiredSignInAttempts(trx, emailHash, windowSeconds);
    const counted = await countSignInAttempts(trx, emailHash, clientHash, windowSeconds);
    if (counted.fromClient >= maxFailuresPerClient || counted.total >= maxFailures) return false;
    await insertSignInAttempt(trx, { id: newId(), email_hash: emailHash, client_hash: clientHash });
    return true;
  });
}

/**
 * A successful sign-in: the email's failures from this client are forgotten, and its next mistypes there start
 * from zero. Failures from elsewhere stay: the owner signing in does not give a guesser a fresh allowance.
 */
export function clearSignInFailures(db: Executor<CenterDatabase>, emailHash: string, clientHash: string): Promise<void> {
  return deleteSignInAttempts(db, emailHash, clientHash);
}
