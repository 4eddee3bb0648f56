import { label, type Executor } from '@medport/database';
import { newId, type ResponseStatus, type TransportLevel, type TransportStatus } from '@medport/domain';
import { cursorTime, isId, type Page } from '@medport/graphql';
import { sql } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { ResponseReach } from '../../scope.js';
import type { NewTripProgressRow, NewTripRow, TripResponseRow, TripRow, TripUpdate } from './trips.table.js';

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

/** Inserts the ems copy of a trip; undefined when it is here already (the request was applied before). */
/** Inserts the copies of new trips; returns the ids of those that were not there yet (a replay finds them). */
export async function insertTripCopies(db: Executor<EmsDatabase>, rows: readonly NewTripRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db
    .insertInto('trips')
    .values([...rows])
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returning('id')
    .modifyEnd(label('insertTripCopies'))
    .execute();
  return new Set(inserted.map((row) => row.id));
}

/**
 * The copy of a trip, locked until the transaction ends. Every change to a trip (an acceptance, an assignment, crew
 * progress, the hospital's status, the expiry sweep) takes this lock first, so they apply one at a time and each
 * sees what the one before it did.
 */
export function lockTrip(trx: Executor<EmsDatabase>, id: string): Promise<TripRow | undefined> {
  return trx.selectFrom('trips').selectAll().where('id', '=', id).forUpdate().modifyEnd(label('lockTrip')).executeTakeFirst();
}

/** The copies of these trips (well-formed ids: the loader that calls it leaves the others out). */
export function findTripsByIds(db: Executor<EmsDatabase>, ids: readonly string[]): Promise<TripRow[]> {
  return db.selectFrom('trips').selectAll().where('id', 'in', ids).modifyEnd(label('findTripsByIds')).execute();
}

/** The copy of a trip as it is now (no lock), for what a live subscription delivers. */
export function findTrip(db: Executor<EmsDatabase>, id: string): Promise<TripRow | undefined> {
  return db.selectFrom('trips').selectAll().where('id', '=', id).modifyEnd(label('findTrip')).executeTakeFirst();
}

export function updateTrip(trx: Executor<EmsDatabase>, id: string, changes: TripUpdate): Promise<TripRow> {
  return trx
    .updateTable('trips')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateTrip'))
    .executeTakeFirstOrThrow();
}

/**
 * Applies a plan of the hospital's `version` unless the copy already holds that version or a later one; the
 * comparison is in the statement, so a late plan never overwrites a newer one. Undefined when nothing changed.
 */
export function applyTripPlan(
  trx: Executor<EmsDatabase>,
  id: string,
  version: number,
  plan: Pick<TripUpdate, 'destination_facility_id' | 'transport_level' | 'priority' | 'special_requirements' | 'scheduled_pickup_at'>,
): Promise<TripRow | undefined> {
  return trx
    .updateTable('trips')
    .set({ ...plan, version, updated_at: new Date() })
    .where('id', '=', id)
    .where('version', '<', version)
    .returningAll()
    .modifyEnd(label('applyTripPlan'))
    .executeTakeFirst();
}

/** One PENDING response per agency the trip is offered to; an agency offered it before keeps its response. */
/** One PENDING response per (trip, agency) offered, for many trips at once; an offer made before stays as it is. */
export async function insertOffers(trx: Executor<EmsDatabase>, offers: readonly { tripId: string; agencyIds: readonly string[] }[], offeredAt: Date): Promise<void> {
  const rows = offers.flatMap(({ tripId, agencyIds }) =>
    agencyIds.map((agencyId) => ({
      id: newId(),
      trip_id: tripId,
      agency_id: agencyId,
      status: 'PENDING' as const,
      eta_minutes: null,
      bid_amount: null,
      decline_reason: null,
      notes: null,
      responded_at: null,
      created_at: offeredAt,
      updated_at: offeredAt,
    })),
  );
  if (rows.length === 0) return;
  await trx
    .insertInto('trip_responses')
    .values(rows)
    .onConflict((conflict) => conflict.columns(['trip_id', 'agency_id']).doNothing())
    .modifyEnd(label('insertOffers'))
    .execute();
}

/** The response of one agency to one trip (its offer), if the trip was offered to it. */
export function findResponse(db: Executor<EmsDatabase>, tripId: string, agencyId: string): Promise<TripResponseRow | undefined> {
  return db
    .selectFrom('trip_responses')
    .selectAll()
    .where('trip_id', '=', tripId)
    .where('agency_id', '=', agencyId)
    .modifyEnd(label('findResponse'))
    .executeTakeFirst();
}

export function updateResponse(
  trx: Executor<EmsDatabase>,
  id: string,
  changes: Pick<TripResponseRow, 'status' | 'eta_minutes' | 'bid_amount' | 'decline_reason' | 'notes' | 'responded_at'>,
): Promise<TripResponseRow> {
  return trx
    .updateTable('trip_responses')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateResponse'))
    .executeTakeFirstOrThrow();
}

/** An offer that ended before its agency answered it. */
export interface EndedOffer {
  trip_id: string;
  agency_id: string;
}

/** Ends every offer of these trips still waiting for an answer: the trips no longer take one. */
export function endPendingResponses(
  trx: Executor<EmsDatabase>,
  tripIds: readonly string[],
  status: Extract<ResponseStatus, 'WITHDRAWN' | 'EXPIRED'>,
): Promise<EndedOffer[]> {
  if (tripIds.length === 0) return Promise.resolve([]);
  return trx
    .updateTable('trip_responses')
    .set({ status, updated_at: new Date() })
    .where('trip_id', 'in', tripIds)
    .where('status', '=', 'PENDING')
    .returning(['trip_id', 'agency_id'])
    .modifyEnd(label('endPendingResponses'))
    .execute();
}

/** Withdraws a trip's accepted answer (the hospital cancelled the trip before it learned of the acceptance). */
export function withdrawAcceptedResponse(trx: Executor<EmsDatabase>, tripId: string): Promise<EndedOffer[]> {
  return trx
    .updateTable('trip_responses')
    .set({ status: 'WITHDRAWN', updated_at: new Date() })
    .where('trip_id', '=', tripId)
    .where('status', '=', 'ACCEPTED')
    .returning(['trip_id', 'agency_id'])
    .modifyEnd(label('withdrawAcceptedResponse'))
    .execute();
}

/** Withdraws the offers of a trip still waiting for an answer from agencies that do not provide `level`. */
export function withdrawOffersToAgenciesWithoutLevel(trx: Executor<EmsDatabase>, tripId: string, level: TransportLevel): Promise<EndedOffer[]> {
  return trx
    .updateTable('trip_responses')
    .set({ status: 'WITHDRAWN', updated_at: new Date() })
    .where('trip_id', '=', tripId)
    .where('status', '=', 'PENDING')
    .where('agency_id', 'in', (eb) =>
      eb.selectFrom('agencies').select('agencies.id').where(sql<boolean>`not (${sql.ref('agencies.levels')} @> array[${level}]::text[])`),
    )
    .returning(['trip_id', 'agency_id'])
    .modifyEnd(label('withdrawOffersToAgenciesWithoutLevel'))
    .execute();
}

/**
 * Up to `limit` trips still REQUESTED at their response deadline, locked. Rows another transaction holds (an
 * acceptance in progress, another replica's sweep) are skipped, not waited for: that transaction decides them, and
 * a later sweep sees whatever it left.
 */
export function lockOverdueTrips(trx: Executor<EmsDatabase>, now: Date, limit: number): Promise<TripRow[]> {
  return trx
    .selectFrom('trips')
    .selectAll()
    .where('status', '=', 'REQUESTED')
    .where('response_deadline', '<=', now)
    .orderBy('response_deadline')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .modifyEnd(label('lockOverdueTrips'))
    .execute();
}

export async function setTripsStatus(trx: Executor<EmsDatabase>, ids: readonly string[], status: TransportStatus): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .updateTable('trips')
    .set({ status, updated_at: new Date() })
    .where('id', 'in', ids)
    .modifyEnd(label('setTripsStatus'))
    .execute();
}

export async function insertTripProgress(trx: Executor<EmsDatabase>, rows: readonly NewTripProgressRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx.insertInto('trip_progress').values(rows).modifyEnd(label('insertTripProgress')).execute();
}

/**
 * The trips offered to an agency that it has not answered and may still accept (REQUESTED, before their deadline),
 * soonest deadline first; the cursor carries the deadline and id of the last one.
 */
export function listAvailableTrips(db: Executor<EmsDatabase>, agencyId: string, now: Date, page: Page): Promise<TripRow[]> {
  let query = db
    .selectFrom('trips')
    .innerJoin('trip_responses', 'trip_responses.trip_id', 'trips.id')
    .selectAll('trips')
    .where('trip_responses.agency_id', '=', agencyId)
    .where('trip_responses.status', '=', 'PENDING')
    .where('trips.status', '=', 'REQUESTED')
    .where('trips.response_deadline', '>', now);
  if (page.after) {
    const deadline = cursorTime(page.after);
    const id = page.after.id;
    query = query.where((eb) =>
      eb.or([eb('trips.response_deadline', '>', deadline), eb.and([eb('trips.response_deadline', '=', deadline), eb('trips.id', '>', id)])]),
    );
  }
  return query
    .orderBy('trips.response_deadline')
    .orderBy('trips.id')
    .limit(page.limit + 1)
    .modifyEnd(label('listAvailableTrips'))
    .execute();
}
