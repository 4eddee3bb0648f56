import { label, type Executor } from '@medport/database';
import type { TransportStatus } from '@medport/domain';
import type { CenterDatabase } from '../../database.js';
import type { TripFactRow, TripFactUpdate } from './analytics.table.js';

export interface RequestedRange {
  from: Date | null;
  to: Date | null;
}

/**
 * How many trips requested within the range are in each status (served by trip_facts_requested_idx). Partial
 * facts are left out: until their TripRequested arrives nobody knows when they were requested.
 */
export function countTripsByStatus(db: Executor<CenterDatabase>, range: RequestedRange): Promise<{ status: TransportStatus; count: number }[]> {
  let query = db
    .selectFrom('trip_facts')
    .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
    .where('requested_at', 'is not', null);
  if (range.from) query = query.where('requested_at', '>=', range.from);
  if (range.to) query = query.where('requested_at', '<=', range.to);
  return query.groupBy('status').modifyEnd(label('countTripsByStatus')).execute();
}

/**
 * Creates the partial fact of a trip the center has not heard of, or nothing when it exists. A concurrent
 * creation by the other feed's consumer waits here for that one to commit, so there is only ever one row.
 */
export async function createTripFactIfMissing(db: Executor<CenterDatabase>, tripId: string): Promise<void> {
  await db
    .insertInto('trip_facts')
    .values({ trip_id: tripId, status: 'REQUESTED' })
    .onConflict((conflict) => conflict.column('trip_id').doNothing())
    .modifyEnd(label('createTripFactIfMissing'))
    .execute();
}

/** A trip's fact, locked until the transaction ends: the two feeds' consumers change a fact one after the other. */
export function lockTripFact(db: Executor<CenterDatabase>, tripId: string): Promise<TripFactRow> {
  return db
    .selectFrom('trip_facts')
    .selectAll()
    .where('trip_id', '=', tripId)
    .forUpdate()
    .modifyEnd(label('lockTripFact'))
    .executeTakeFirstOrThrow();
}

export async function updateTripFact(db: Executor<CenterDatabase>, tripId: string, changes: TripFactUpdate): Promise<void> {
  await db
    .updateTable('trip_facts')
    .set({ ...changes, updated_at: new Date() })
    .where('trip_id', '=', tripId)
    .modifyEnd(label('updateTripFact'))
    .execute();
}
