import { label, type Executor } from '@medport/database';
import type { TransportLevel, TransportPriority, TransportStatus } from '@medport/domain';
import { cursorTime, type Cursor, type Page } from '@medport/graphql';
import { sql, type ExpressionBuilder, type NotNull } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import type { TripScope } from './trip-scope.js';
import type {
  NewTransportRequestRow,
  NewTripHistoryRow,
  TransportRequestRow,
  TransportRequestUpdate,
  TripHistoryRow,
} from './transport-requests.table.js';

export interface TransportRequestFilter {
  hospitalId?: string | null;
  statuses?: TransportStatus[] | null;
  transportLevels?: TransportLevel[] | null;
  priorities?: TransportPriority[] | null;
  assignedAgencyId?: string | null;
  originFacilityId?: string | null;
  requestedFrom?: Date | null;
  requestedTo?: Date | null;
}

/** The SQL form of a caller's TripScope; every statement that reads trips on a caller's behalf applies it. */
function withinScope(scope: TripScope) {
  return (eb: ExpressionBuilder<HospitalDatabase, 'transport_requests'>) => {
    switch (scope.kind) {
      case 'ALL':
        return eb.lit(true);
      case 'HOSPITAL':
        return eb('hospital_id', '=', scope.hospitalId);
      case 'AGENCY':
        return eb('assigned_agency_id', '=', scope.agencyId);
      case 'NONE':
        return eb.lit(false);
    }
  };
}

/** Trips after the cursor in (requested_at desc, id desc) order: the order of every list of trips. */
function afterTrip(cursor: Cursor) {
  const time = cursorTime(cursor);
  const id = cursor.id;
  return (eb: ExpressionBuilder<HospitalDatabase, 'transport_requests'>) =>
    eb.or([eb('requested_at', '<', time), eb.and([eb('requested_at', '=', time), eb('id', '<', id)])]);
}

/** The trips among `ids` that the scope lets its caller see; the others are simply not returned. */
export function findTransportRequestsByIds(
  db: Executor<HospitalDatabase>,
  scope: TripScope,
  ids: readonly string[],
): Promise<TransportRequestRow[]> {
  return db
    .selectFrom('transport_requests')
    .selectAll()
    .where('id', 'in', ids)
    .where(withinScope(scope))
    .modifyEnd(label('findTransportRequestsByIds'))
    .execute();
}

/**
 * Newest first; the cursor carries requested_at and id of the last row (served by the *_time_idx indexes). The
 * scope is part of the statement, so a page is full whenever there are more trips the caller may see.
 */
export function listTransportRequests(
  db: Executor<HospitalDatabase>,
  scope: TripScope,
  filter: TransportRequestFilter,
  page: Page,
): Promise<TransportRequestRow[]> {
  let query = db.selectFrom('transport_requests').selectAll().where(withinScope(scope));
  if (filter.hospitalId) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.transportLevels?.length) query = query.where('transport_level', 'in', filter.transportLevels);
  if (filter.priorities?.length) query = query.where('priority', 'in', filter.priorities);
  if (filter.assignedAgencyId) query = query.where('assigned_agency_id', '=', filter.assignedAgencyId);
  if (filter.originFacilityId) query = query.where('origin_facility_id', '=', filter.originFacilityId);
  if (filter.requestedFrom) query = query.where('requested_at', '>=', filter.requestedFrom);
  if (filter.requestedTo) query = query.where('requested_at', '<=', filter.requestedTo);
  if (page.after) query = query.where(afterTrip(page.after));
  return query
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .modifyEnd(label('listTransportRequests'))
    .execute();
}

/** A trip of one agency's page: an assigned trip, whose agency is the group it was read for. */
export type AgencyTripRow = TransportRequestRow & { assigned_agency_id: string };

/** A trip of one facility's page, with the facility (its origin or its destination) it was read for. */
export type FacilityTripRow = TransportRequestRow & { facility_id: string };

/**
 * The same page of trips for each of several agencies in one statement, in the caller's scope: row_number() numbers
 * each agency's trips newest first and the outer query keeps `limit + 1` of each (served by
 * transport_requests_agency_time_idx), so a list of agencies with their trips costs one statement, not one each.
 */
export function listTripPagesOfAgencies(
  db: Executor<HospitalDatabase>,
  scope: TripScope,
  agencyIds: readonly string[],
  filter: Pick<TransportRequestFilter, 'statuses'>,
  page: Page,
): Promise<AgencyTripRow[]> {
  let ranked = db
    .selectFrom('transport_requests')
    .selectAll()
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((over) => over.partitionBy('assigned_agency_id').orderBy('requested_at', 'desc').orderBy('id', 'desc'))
        .as('position'),
    )
    .where('assigned_agency_id', 'in', agencyIds)
    .where(withinScope(scope));
  if (filter.statuses?.length) ranked = ranked.where('status', 'in', filter.statuses);
  if (page.after) ranked = ranked.where(afterTrip(page.after));
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('position', '<=', page.limit + 1)
    .orderBy('assigned_agency_id')
    .orderBy('position')
    .$narrowType<{ assigned_agency_id: NotNull }>()
    .modifyEnd(label('listTripPagesOfAgencies'))
    .execute();
}

/**
 * The same page of trips for each of several facilities in one statement, in the caller's scope. A trip belongs to
 * two facilities, its origin's and its destination's, so each trip is joined to its two ends (`trip_end`) and
 * row_number() numbers each facility's trips newest first. The condition on the two columns themselves lets the
 * facility indexes find the candidate trips before they are split into ends.
 */
export function listTripPagesOfFacilities(
  db: Executor<HospitalDatabase>,
  scope: TripScope,
  facilityIds: readonly string[],
  page: Page,
): Promise<FacilityTripRow[]> {
  const origin = sql.ref('transport_requests.origin_facility_id');
  const destination = sql.ref('transport_requests.destination_facility_id');
  const tripEnds = sql<{ facility_id: string }>`(values (${origin}), (${destination}))`.as<'trip_end'>(sql`trip_end(facility_id)`);
  let ranked = db
    .selectFrom('transport_requests')
    .crossJoinLateral(tripEnds)
    .selectAll('transport_requests')
    .select((eb) => [
      'trip_end.facility_id',
      eb.fn
        .agg<number>('row_number')
        .over((over) =>
          over.partitionBy('trip_end.facility_id').orderBy('transport_requests.requested_at', 'desc').orderBy('transport_requests.id', 'desc'),
        )
        .as('position'),
    ])
    .where((eb) => eb.or([eb('origin_facility_id', 'in', facilityIds), eb('destination_facility_id', 'in', facilityIds)]))
    .where('trip_end.facility_id', 'in', facilityIds)
    .where(withinScope(scope));
  if (page.after) ranked = ranked.where(afterTrip(page.after));
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('position', '<=', page.limit + 1)
    .orderBy('facility_id')
    .orderBy('position')
    .modifyEnd(label('listTripPagesOfFacilities'))
    .execute();
}

/**
 * Reads a trip in the caller's scope and locks it until the transaction ends, so concurrent changes to one trip
 * apply one at a time.
 */
export function lockTransportRequest(trx: Executor<HospitalDatabase>, scope: TripScope, id: string): Promise<TransportRequestRow | undefined> {
  return trx
    .selectFrom('transport_requests')
    .selectAll()
    .where('id', '=', id)
    .where(withinScope(scope))
    .forUpdate()
    .modifyEnd(label('lockTransportRequest'))
    .executeTakeFirst();
}

export function insertTransportRequest(trx: Executor<HospitalDatabase>, row: NewTransportRequestRow): Promise<TransportRequestRow> {
  return trx.insertInto('transport_requests').values(row).returningAll().modifyEnd(label('insertTransportRequest')).executeTakeFirstOrThrow();
}

export function updateTransportRequest(
  trx: Executor<HospitalDatabase>,
  id: string,
  changes: TransportRequestUpdate,
): Promise<TransportRequestRow> {
  return trx
    .updateTable('transport_requests')
    .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateTransportRequest'))
    .executeTakeFirstOrThrow();
}

export function insertTripHistory(trx: Executor<HospitalDatabase>, row: NewTripHistoryRow): Promise<void> {
  return trx.insertInto('trip_history').values(row).modifyEnd(label('insertTripHistory')).execute().then(() => undefined);
}

export function findHistoryByTripIds(db: Executor<HospitalDatabase>, tripIds: readonly string[]): Promise<TripHistoryRow[]> {
  return db
    .selectFrom('trip_history')
    .selectAll()
    .where('transport_request_id', 'in', tripIds)
    .orderBy('occurred_at')
    .orderBy('created_at')
    .modifyEnd(label('findHistoryByTripIds'))
    .execute();
}
