import { containsPattern, label, type Executor } from '@medport/database';
import type { FacilityType } from '@medport/domain';
import { cursorText, type Cursor, type Page } from '@medport/graphql';
import type { ExpressionBuilder } from 'kysely';
import type { HospitalDatabase } from '../../database.js';
import type { FacilityRow, FacilityUpdate, NewFacilityRow } from './facilities.table.js';

export interface FacilityFilter {
  hospitalId?: string | null;
  types?: FacilityType[] | null;
  includeInactive?: boolean | null;
  nameContains?: string | null;
}

/** Facilities after the cursor in (name, id) order. */
function afterFacility(cursor: Cursor) {
  const name = cursorText(cursor);
  const id = cursor.id;
  return (eb: ExpressionBuilder<HospitalDatabase, 'facilities'>) =>
    eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]);
}

export function findFacilitiesByIds(db: Executor<HospitalDatabase>, ids: readonly string[]): Promise<FacilityRow[]> {
  return db.selectFrom('facilities').selectAll().where('id', 'in', ids).modifyEnd(label('findFacilitiesByIds')).execute();
}

/** Facilities sorted by name; the cursor carries the name and id of the last one. */
export function listFacilities(db: Executor<HospitalDatabase>, filter: FacilityFilter, page: Page): Promise<FacilityRow[]> {
  let query = db.selectFrom('facilities').selectAll();
  if (filter.hospitalId) query = query.where('hospital_id', '=', filter.hospitalId);
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  if (!filter.includeInactive) query = query.where('is_active', '=', true);
  if (filter.nameContains) query = query.where('name', 'ilike', containsPattern(filter.nameContains));
  if (page.after) query = query.where(afterFacility(page.after));
  return query.orderBy('name').orderBy('id').limit(page.limit + 1).modifyEnd(label('listFacilities')).execute();
}

/**
 * The same page of facilities for each of several hospitals in one statement: row_number() numbers each
 * hospital's facilities in page order and the outer query keeps `limit + 1` of each, so a list of hospitals with
 * their facilities costs one statement instead of one per hospital.
 */
export function listFacilityPagesOfHospitals(
  db: Executor<HospitalDatabase>,
  hospitalIds: readonly string[],
  filter: Pick<FacilityFilter, 'includeInactive'>,
  page: Page,
): Promise<FacilityRow[]> {
  let ranked = db
    .selectFrom('facilities')
    .selectAll()
    .select((eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((over) => over.partitionBy('hospital_id').orderBy('name').orderBy('id'))
        .as('position'),
    )
    .where('hospital_id', 'in', hospitalIds);
  if (!filter.includeInactive) ranked = ranked.where('is_active', '=', true);
  if (page.after) ranked = ranked.where(afterFacility(page.after));
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('position', '<=', page.limit + 1)
    .orderBy('hospital_id')
    .orderBy('position')
    .modifyEnd(label('listFacilityPagesOfHospitals'))
    .execute();
}

export function insertFacility(db: Executor<HospitalDatabase>, row: NewFacilityRow): Promise<FacilityRow> {
  return db.insertInto('facilities').values(row).returningAll().modifyEnd(label('insertFacility')).executeTakeFirstOrThrow();
}

export function updateFacility(db: Executor<HospitalDatabase>, id: string, changes: FacilityUpdate): Promise<FacilityRow | undefined> {
  return db
    .updateTable('facilities')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateFacility'))
    .executeTakeFirst();
}

