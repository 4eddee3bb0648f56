import { containsPattern, label, type Executor } from '@medport/database';
import type { FacilityType } from '@medport/domain';
import { cursorText, type Page } from '@medport/graphql';
import type { HospitalDatabase } from '../../database.js';
import type { FacilityRow, FacilityUpdate, NewFacilityRow } from './facilities.table.js';

export interface FacilityFilter {
  hospitalId?: string | null;
  types?: FacilityType[] | null;
  includeInactive?: boolean | null;
  nameContains?: string | null;
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
  if (page.after) {
    const name = cursorText(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }
  return query.orderBy('name').orderBy('id').limit(page.limit + 1).modifyEnd(label('listFacilities')).execute();
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

