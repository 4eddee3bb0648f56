import { label, type Executor } from '@medport/database';
import type { TransportLevel, UnitStatus } from '@medport/domain';
import { badInput, cursorText, isId, type Cursor, type Page } from '@medport/graphql';
import { sql, type ExpressionBuilder } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import type { NewUnitRow, UnitAvailabilityRow, UnitRow, UnitUpdate } from './units.table.js';

export interface UnitFilter {
  agencyId?: string | null;
  statuses?: UnitStatus[] | null;
  levels?: TransportLevel[] | null;
  includeInactive?: boolean | null;
}

/** Units after the cursor in (unit_number, id) order. */
function afterUnit(cursor: Cursor) {
  const unitNumber = cursorText(cursor);
  const id = cursor.id;
  if (!isId(id)) throw badInput('The cursor in `after` does not belong to this list.', 'after');
  return (eb: ExpressionBuilder<EmsDatabase, 'units'>) =>
    eb.or([eb('unit_number', '>', unitNumber), eb.and([eb('unit_number', '=', unitNumber), eb('id', '>', id)])]);
}

/** The units a caller sees, as a condition; null when it sees every agency's. */
function unitsWithin(reach: AgencyReach) {
  if (reach.kind === 'ALL') return null;
  return (eb: ExpressionBuilder<EmsDatabase, 'units'>) => (reach.kind === 'AGENCY' ? eb('agency_id', '=', reach.agencyId) : sql<boolean>`false`);
}

/** The units with these ids that the caller sees. */
export function findUnitsByIds(db: Executor<EmsDatabase>, reach: AgencyReach, ids: readonly string[]): Promise<UnitRow[]> {
  let query = db.selectFrom('units').selectAll().where('id', 'in', ids);
  const within = unitsWithin(reach);
  if (within) query = query.where(within);
  return query.modifyEnd(label('findUnitsByIds')).execute();
}

/** One unit whoever owns it, for deciding whether the caller may change it (and auditing when it may not). */
export function findUnitById(db: Executor<EmsDatabase>, id: string): Promise<UnitRow | undefined> {
  return db.selectFrom('units').selectAll().where('id', '=', id).modifyEnd(label('findUnitById')).executeTakeFirst();
}

/**
 * The units the caller sees, sorted by unit number; the cursor carries the unit number and id of the last one.
 * The scope is a condition of the statement, not a filter afterwards, so pages stay full and `hasNextPage` stays right.
 */
export function listUnits(db: Executor<EmsDatabase>, reach: AgencyReach, filter: UnitFilter, page: Page): Promise<UnitRow[]> {
  let query = db.selectFrom('units').selectAll();
  const within = unitsWithin(reach);
  if (within) query = query.where(within);
  if (filter.agencyId) query = query.where('agency_id', '=', filter.agencyId);
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.levels?.length) query = query.where('level', 'in', filter.levels);
  if (!filter.includeInactive) query = query.where('is_active', '=', true);
  if (page.after) query = query.where(afterUnit(page.after));
  return query.orderBy('unit_number').orderBy('id').limit(page.limit + 1).modifyEnd(label('listUnits')).execute();
}

/**
 * The same page of units for each of several agencies in one statement: row_number() numbers each agency's
 * units in page order and the outer query keeps `limit + 1` of each, so a list of agencies with their units costs
 * one statement instead of one per agency.
 */
export function listUnitPagesOfAgencies(
  db: Executor<EmsDatabase>,
  reach: AgencyReach,
  agencyIds: readonly string[],
  filter: Pick<UnitFilter, 'includeInactive'>,
  page: Page,
): Promise<UnitRow[]> {
  let ranked = db
    .selectFrom('units')
    .selectAll()
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((over) => over.partitionBy('agency_id').orderBy('unit_number').orderBy('id'))
        .as('position'),
    )
    .where('agency_id', 'in', agencyIds);
  const within = unitsWithin(reach);
  if (within) ranked = ranked.where(within);
  if (!filter.includeInactive) ranked = ranked.where('is_active', '=', true);
  if (page.after) ranked = ranked.where(afterUnit(page.after));
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('position', '<=', page.limit + 1)
    .orderBy('agency_id')
    .orderBy('position')
    .modifyEnd(label('listUnitPagesOfAgencies'))
    .execute();
}

/**
 * One unit whoever owns it, locked until the transaction ends: two trips assigned the same unit at once take turns,
 * and the second finds it no longer AVAILABLE.
 */
export function lockUnit(trx: Executor<EmsDatabase>, id: string): Promise<UnitRow | undefined> {
  return trx.selectFrom('units').selectAll().where('id', '=', id).forUpdate().modifyEnd(label('lockUnit')).executeTakeFirst();
}

/** Moves a unit to `status` when it is in one of `from`; undefined when it was not (or there is no such unit). */
export function moveUnitStatus(trx: Executor<EmsDatabase>, id: string, from: readonly UnitStatus[], status: UnitStatus): Promise<UnitRow | undefined> {
  return trx
    .updateTable('units')
    .set({ status, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', from)
    .returningAll()
    .modifyEnd(label('moveUnitStatus'))
    .executeTakeFirst();
}

export function insertUnit(db: Executor<EmsDatabase>, row: NewUnitRow): Promise<UnitRow> {
  return db.insertInto('units').values(row).returningAll().modifyEnd(label('insertUnit')).executeTakeFirstOrThrow();
}

export function updateUnit(db: Executor<EmsDatabase>, id: string, changes: UnitUpdate): Promise<UnitRow | undefined> {
  return db
    .updateTable('units')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateUnit'))
    .executeTakeFirst();
}

/**
 * Windows that have not ended by `now`, earliest first; past windows are history nobody dispatches on. Only of
 * units the caller sees: they are reached through a visible unit anyway, but the statement does not rely on it.
 */
export function findAvailabilityByUnitIds(
  db: Executor<EmsDatabase>,
  reach: AgencyReach,
  unitIds: readonly string[],
  now: Date,
): Promise<UnitAvailabilityRow[]> {
  if (reach.kind === 'NONE') return Promise.resolve([]);
  let query = db
    .selectFrom('unit_availability')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]));
  if (reach.kind === 'AGENCY') {
    const agencyId = reach.agencyId;
    query = query.where('unit_id', 'in', (eb) => eb.selectFrom('units').select('units.id').where('units.agency_id', '=', agencyId));
  }
  return query
    .orderBy('starts_at')
    .orderBy('id')
    .modifyEnd(label('findAvailabilityByUnitIds'))
    .execute();
}
