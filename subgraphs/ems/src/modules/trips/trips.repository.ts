import { label, type Executor } from '@medport/database';
import { isId } from '@medport/graphql';
import { sql } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { TripResponseRow } from './trips.table.js';

/** The responses to each trip, in the order the agencies answered; unanswered offers last. */
export async function findResponsesByTripIds(db: Executor<EmsDatabase>, tripIds: readonly string[]): Promise<TripResponseRow[]> {
  // Trip ids arrive as references from the gateway: one that is not a UUID cannot exist, and would fail the uuid
  // cast of the whole batch.
  const valid = tripIds.filter(isId);
  if (valid.length === 0) return [];
  return db
    .selectFrom('trip_responses')
    .selectAll()
    .where('trip_id', 'in', valid)
    .orderBy(sql`responded_at asc nulls last`)
    .orderBy('id')
    .modifyEnd(label('findResponsesByTripIds'))
    .execute();
}
