import { label, type Executor } from '@medport/database';
import type { TransportStatus } from '@medport/domain';
import { takeTurn } from '@medport/events';
import { sql, type Transaction } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import type { TripFactRow, TripFactUpdate } from './analytics.table.js';
import type { LocalDate, Period } from './calendar.js';
import { LIST_COUNTERS, SCALAR_COUNTERS, type Dimension, type RollupRow } from './rollups.js';

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
 * A trip's fact, locked until the transaction ends; a partial one created first when the center has not heard of
 * the trip. One statement: the insert that finds the row already there locks it and returns it as it is.
 */
export function lockOrCreateTripFact(db: Executor<CenterDatabase>, tripId: string): Promise<TripFactRow> {
  return db
    .insertInto('trip_facts')
    .values({ trip_id: tripId, status: 'REQUESTED' })
    .onConflict((conflict) => conflict.column('trip_id').doUpdateSet((eb) => ({ trip_id: eb.ref('excluded.trip_id') })))
    .returningAll()
    .modifyEnd(label('lockOrCreateTripFact'))
    .executeTakeFirstOrThrow();
}

/** Changes a trip's fact and returns it as changed. */
export function updateTripFact(db: Executor<CenterDatabase>, tripId: string, changes: TripFactUpdate): Promise<TripFactRow> {
  return db
    .updateTable('trip_facts')
    .set({ ...changes, updated_at: new Date() })
    .where('trip_id', '=', tripId)
    .returningAll()
    .modifyEnd(label('updateTripFact'))
    .executeTakeFirstOrThrow();
}

/** The list as a PostgreSQL array literal: text is the one form both drivers pass through unchanged. */
const arrayLiteral = (list: readonly number[]) => `{${list.join(',')}}`;

function rollupValues(rows: readonly RollupRow[]) {
  return rows.map((row) => ({
    granularity: row.granularity,
    period_start: row.period_start,
    dimension: row.dimension,
    dimension_value: row.dimension_value,
    ...Object.fromEntries(SCALAR_COUNTERS.map((counter) => [counter, row[counter]])),
    ...Object.fromEntries(LIST_COUNTERS.map((counter) => [counter, arrayLiteral(row[counter])])),
  })) as never;
}

/**
 * Adds each row's counts to the stored rollup of its key (negative counts take away). Lists are added element by
 * element, the shorter one read as zeros beyond its end.
 */
export async function addToRollups(db: Executor<CenterDatabase>, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('trip_rollups')
    .values(rollupValues(rows))
    .onConflict((conflict) =>
      conflict.columns(['granularity', 'dimension', 'dimension_value', 'period_start']).doUpdateSet(() => ({
        ...Object.fromEntries(SCALAR_COUNTERS.map((counter) => [counter, sql`trip_rollups.${sql.ref(counter)} + excluded.${sql.ref(counter)}`])),
        ...Object.fromEntries(
          LIST_COUNTERS.map((counter) => [
            counter,
            sql`array(select coalesce(stored, 0) + coalesce(added, 0) from unnest(trip_rollups.${sql.ref(counter)}, excluded.${sql.ref(counter)}) with ordinality as sums(stored, added, i) order by i)`,
          ]),
        ),
      })),
    )
    .modifyEnd(label('addToRollups'))
    .execute();
}

/** Stores rollups computed all at once (a rebuild from the facts), a page of rows per statement. */
export async function insertRollups(db: Executor<CenterDatabase>, rows: readonly RollupRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    await db.insertInto('trip_rollups').values(rollupValues(rows.slice(start, start + 500))).modifyEnd(label('insertRollups')).execute();
  }
}

export interface RollupSelection {
  granularity: Period;
  dimension: Dimension;
  /** One hospital, agency, level or priority; every value of the dimension when left out. */
  value?: string;
  from: LocalDate;
  to: LocalDate;
}

/** An integer array as PostgreSQL writes it (`{1,0,2}`), read by the native JSON parser. */
const parseIntegerArray = (text: string): number[] => JSON.parse(`[${text.slice(1, -1)}]`);

/**
 * The rollups of one period kind and dimension whose periods start within [from, to], in period order. Lists come
 * as text and are parsed here: the drivers' generic array parsers took most of a day-by-day report's time.
 */
export async function readRollups(db: Executor<CenterDatabase>, selection: RollupSelection): Promise<RollupRow[]> {
  let query = db
    .selectFrom('trip_rollups')
    .select([
      sql<string>`period_start::text`.as('period_start'),
      'granularity',
      'dimension',
      'dimension_value',
      ...SCALAR_COUNTERS,
      ...LIST_COUNTERS.map((counter) => sql<string>`${sql.ref(counter)}::text`.as(counter)),
    ])
    .where('granularity', '=', selection.granularity)
    .where('dimension', '=', selection.dimension)
    .where(sql`period_start`, '>=', sql`${selection.from}::date`)
    .where(sql`period_start`, '<=', sql`${selection.to}::date`);
  if (selection.value !== undefined) query = query.where('dimension_value', '=', selection.value);
  const rows = await query.orderBy('period_start').orderBy('dimension_value').modifyEnd(label('readRollups')).execute();
  return rows.map((row) => {
    const parsed = { ...row } as unknown as RollupRow;
    for (const counter of LIST_COUNTERS) parsed[counter] = parseIntegerArray(row[counter]);
    return parsed;
  });
}

/** Every fact, a page at a time in trip order, for a rebuild of the rollups. */
export function readTripFactsPage(db: Executor<CenterDatabase>, afterTripId: string | null, limit: number): Promise<TripFactRow[]> {
  let query = db.selectFrom('trip_facts').selectAll();
  if (afterTripId !== null) query = query.where('trip_id', '>', afterTripId);
  return query.orderBy('trip_id').limit(limit).modifyEnd(label('readTripFactsPage')).execute();
}

export async function deleteRollups(db: Executor<CenterDatabase>): Promise<void> {
  await db.deleteFrom('trip_rollups').modifyEnd(label('deleteRollups')).execute();
}

export async function hasTripFacts(db: Executor<CenterDatabase>): Promise<boolean> {
  return (await db.selectFrom('trip_facts').select('trip_id').limit(1).modifyEnd(label('hasTripFacts')).executeTakeFirst()) !== undefined;
}

/**
 * Forgets every fact and rollup and sends the consumers that build them back to the start of their feeds, in one
 * transaction: they replay the whole event history and build everything again. The consumers' turn is taken
 * first, so a batch being applied right now commits before (and is forgotten with the rest), and one that comes
 * after finds its cursor moved and reads the feed again from the start.
 */
export async function resetForReplay(trx: Transaction<CenterDatabase>, consumerNames: readonly string[], turn: string): Promise<void> {
  // Also the turn the consumers and a parked event's retry take: none of them is half-way through a change now.
  await takeTurn(trx, turn);
  await trx.selectFrom('event_consumers').select('name').where('name', 'in', [...consumerNames]).forUpdate().modifyEnd(label('lockAnalyticsConsumers')).execute();
  await trx.deleteFrom('consumed_events').where('consumer', 'in', [...consumerNames]).modifyEnd(label('forgetConsumedEvents')).execute();
  await trx.deleteFrom('trip_facts').modifyEnd(label('deleteTripFacts')).execute();
  await deleteRollups(trx);
  await trx
    .updateTable('event_consumers')
    .set({ cursor: '0:0', last_error: null, last_error_at: null, updated_at: new Date() })
    .where('name', 'in', [...consumerNames])
    .modifyEnd(label('rewindAnalyticsConsumers'))
    .execute();
}
