import { label, type Executor } from '@medport/database';
import type { TransportLevel, UnitStatus } from '@medport/domain';
import { badInput, cursorText, isId, type Cursor, type Page } from '@medport/graphql';
import type { ExpressionBuilder } from 'kysely';
import type { EmsDatabase } from '../../database.js';
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

export function findUnitsByIds(db: Executor<EmsDatabase>, ids: readonly string[]): Promise<UnitRow[]> {
  return db.selectFrom('units').selectAll().where('id', 'in', ids).modifyEnd(label('findUnitsByIds')).execute();
}

/** Units sorted by unit number; the cursor carries the unit number and id of the last one. */
export function listUnits(db: Executor<EmsDatabase>, filter: UnitFilter, page: Page): Promise<UnitRow[]> {
  let query = db.selectFrom('units').selectAll();
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

/** Windows that have not ended by `now`, earliest first; past windows are history nobody dispatches on. */
export function findAvailabilityByUnitIds(
  db: Executor<EmsDatabase>,
  unitIds: readonly string[],
  now: Date,
): Promise<UnitAvailabilityRow[]> {
  return db
    .selectFrom('unit_availability')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .orderBy('starts_at')
    .orderBy('id')
    .modifyEnd(label('findAvailabilityByUnitIds'))
    .execute();
}
