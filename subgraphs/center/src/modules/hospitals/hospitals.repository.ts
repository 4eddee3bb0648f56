import { containsPattern, label, type Executor } from '@medport/database';
import type { ServiceStatus } from '@medport/domain';
import { cursorText, type Page } from '@medport/graphql';
import type { CenterDatabase } from '../../database.js';
import type { HospitalRow, HospitalUpdate, NewHospitalRow } from './hospitals.table.js';

export interface HospitalFilter {
  statuses?: ServiceStatus[] | null;
  nameContains?: string | null;
}

export function findHospitalsByIds(db: Executor<CenterDatabase>, ids: readonly string[]): Promise<HospitalRow[]> {
  return db.selectFrom('hospitals').selectAll().where('id', 'in', ids).modifyEnd(label('findHospitalsByIds')).execute();
}

/** Hospitals sorted by name; the cursor carries the name and id of the last one. */
export function listHospitals(db: Executor<CenterDatabase>, filter: HospitalFilter, page: Page): Promise<HospitalRow[]> {
  let query = db.selectFrom('hospitals').selectAll();
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.nameContains) query = query.where('name', 'ilike', containsPattern(filter.nameContains));
  if (page.after) {
    const name = cursorText(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }
  return query.orderBy('name').orderBy('id').limit(page.limit + 1).modifyEnd(label('listHospitals')).execute();
}

export function insertHospital(db: Executor<CenterDatabase>, row: NewHospitalRow): Promise<HospitalRow> {
  return db.insertInto('hospitals').values(row).returningAll().modifyEnd(label('insertHospital')).executeTakeFirstOrThrow();
}

export function updateHospital(db: Executor<CenterDatabase>, id: string, changes: HospitalUpdate): Promise<HospitalRow | undefined> {
  return db
    .updateTable('hospitals')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateHospital'))
    .executeTakeFirst();
}

