import { label, type Executor } from '@medport/database';
import { isId } from '@medport/graphql';
import { sql } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { ResponseReach } from '../../scope.js';
import type { TripResponseRow } from './trips.table.js';

/**
 * The responses to each trip that the caller sees, in the order the agencies answered; unanswered offers last.
 * An agency sees its own answers, a hospital the answers to its own trips (by the hospital of ems's copy of the
 * trip), the center all of them.
 */
export async function findResponsesByTripIds(db: Executor<EmsDatabase>, reach: ResponseReach, tripIds: readonly string[]): Promise<TripResponseRow[]> {
  // Trip ids arrive as references from the gateway: one that is not a UUID cannot exist, and would fail the uuid
  // cast of the whole batch.
  const valid = tripIds.filter(isId);
  if (valid.length === 0 || reach.kind === 'NONE') return [];
  let query = db.selectFrom('trip_responses').selectAll().where('trip_id', 'in', valid);
  if (reach.kind === 'AGENCY') query = query.where('agency_id', '=', reach.agencyId);
  if (reach.kind === 'HOSPITAL') {
    const hospitalId = reach.hospitalId;
    query = query.where('trip_id', 'in', (eb) => eb.selectFrom('trips').select('trips.id').where('trips.hospital_id', '=', hospitalId));
  }
  return query
    .orderBy(sql`responded_at asc nulls last`)
    .orderBy('id')
    .modifyEnd(label('findResponsesByTripIds'))
    .execute();
}
