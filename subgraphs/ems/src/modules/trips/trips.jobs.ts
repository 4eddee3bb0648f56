import type { BackgroundJob } from '@medport/server';
import type { Kysely } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { reportProgress } from './trips.progress.js';
import { endOffers } from './trips.offers.js';
import { lockOverdueTrips, setTripsStatus } from './trips.repository.js';

/** Trips per transaction: bounds how long one sweep holds its locks, however many offers ran out at once. */
const EXPIRY_BATCH_SIZE = 100;

/**
 * Ends the offers of every trip still REQUESTED at its response deadline (`now`): the trip EXPIRED, its unanswered
 * offers EXPIRED, and the hospital told. Trips are locked like an acceptance locks them, skipping those another
 * transaction holds, so two replicas sweeping at once never expire a trip twice, and a trip being accepted is
 * either accepted or expired, never both. Returns how many trips expired.
 */
export async function expireOverdueOffers(db: Kysely<EmsDatabase>, now: Date = new Date(), batchSize = EXPIRY_BATCH_SIZE): Promise<number> {
  let expired = 0;
  for (;;) {
    const count = await db.transaction().execute(async (trx) => {
      const trips = await lockOverdueTrips(trx, now, batchSize);
      const ids = trips.map((trip) => trip.id);
      await setTripsStatus(trx, ids, 'EXPIRED');
      await endOffers(trx, ids, 'OFFER_EXPIRED', now);
      for (const trip of trips) {
        // The trip expired when its deadline passed, however late the sweep came by.
        const report = { status: 'EXPIRED' as const, agencyId: null, unitId: null, reportedById: null, notes: null, etaMinutes: null };
        await reportProgress(trx, trip.id, { ...report, occurredAt: trip.response_deadline });
      }
      return trips.length;
    });
    expired += count;
    if (count < batchSize) return expired;
  }
}

export const offerExpiryJob: BackgroundJob<EmsDatabase> = {
  name: 'ems.expire-offers',
  intervalMs: (config) => config.workflow.offerExpirySweepMs,
  run: (db) => expireOverdueOffers(db),
};
