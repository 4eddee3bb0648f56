import { publishEvents } from '@medport/events';
import { recordRevocation } from '@medport/server';
import type { Transaction } from 'kysely';
import type { CenterDatabase } from '../../database.js';

/**
 * Ends access tokens before they expire, in the transaction that ends what they stand for: the account's tokens
 * issued until now (`sessionId` null, a deactivation) or one session's. The center refuses them at once; the other
 * silos once they apply the AccessRevoked event, within a second or two.
 */
export async function revokeAccess(trx: Transaction<CenterDatabase>, userId: string, sessionId: string | null): Promise<void> {
  const revocation = { userId, sessionId, revokedAt: new Date().toISOString() };
  await recordRevocation(trx, revocation);
  await publishEvents(trx, 'AccessRevoked', [{ aggregateId: userId, payload: revocation }]);
}
