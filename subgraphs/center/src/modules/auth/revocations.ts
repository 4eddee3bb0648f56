import { publishEvents } from '@medport/events';
import { recordRevocation } from '@medport/server';
import type { Transaction } from 'kysely';
import type { CenterDatabase } from '../../database.js';

/**
 * Ends the access tokens of a session before they expire, in the transaction that ends the session (a sign-out, a
 * replayed refresh token, a deactivation, which ends each of the account's sessions). The center refuses them at
 * once; the other silos once they apply the AccessRevoked event, within a second.
 */
export async function revokeAccess(trx: Transaction<CenterDatabase>, userId: string, sessionId: string): Promise<void> {
  const revocation = { userId, sessionId, revokedAt: new Date().toISOString() };
  await recordRevocation(trx, revocation);
  await publishEvents(trx, 'AccessRevoked', [{ aggregateId: userId, payload: revocation }]);
}
