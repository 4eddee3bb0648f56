import { label, type Executor } from '@medport/database';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import type { NewServiceAreaRow, ServiceAreaRow, ServiceAreaUpdate } from './service-areas.table.js';

/** The service areas of these agencies that the caller sees (its own agency's, for an agency). */
export function findServiceAreasByAgencyIds(
  db: Executor<EmsDatabase>,
  reach: AgencyReach,
  agencyIds: readonly string[],
): Promise<ServiceAreaRow[]> {
  if (reach.kind === 'NONE') return Promise.resolve([]);
  let query = db.selectFrom('service_areas').selectAll().where('agency_id', 'in', agencyIds);
  if (reach.kind === 'AGENCY') query = query.where('agency_id', '=', reach.agencyId);
  return query
    .orderBy('name')
    .orderBy('id')
    .modifyEnd(label('findServiceAreasByAgencyIds'))
    .execute();
}

/** One area whoever owns it, for deciding whether the caller may change it (and auditing when it may not). */
export function findServiceAreaById(db: Executor<EmsDatabase>, id: string): Promise<ServiceAreaRow | undefined> {
  return db.selectFrom('service_areas').selectAll().where('id', '=', id).modifyEnd(label('findServiceAreaById')).executeTakeFirst();
}

export function insertServiceArea(db: Executor<EmsDatabase>, row: NewServiceAreaRow): Promise<ServiceAreaRow> {
  return db.insertInto('service_areas').values(row).returningAll().modifyEnd(label('insertServiceArea')).executeTakeFirstOrThrow();
}

export function updateServiceArea(db: Executor<EmsDatabase>, id: string, changes: ServiceAreaUpdate): Promise<ServiceAreaRow | undefined> {
  return db
    .updateTable('service_areas')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateServiceArea'))
    .executeTakeFirst();
}

/** Deletes an area; returns its id, or undefined when there was none. */
export async function deleteServiceArea(db: Executor<EmsDatabase>, id: string): Promise<string | undefined> {
  const deleted = await db
    .deleteFrom('service_areas')
    .where('id', '=', id)
    .returning('id')
    .modifyEnd(label('deleteServiceArea'))
    .executeTakeFirst();
  return deleted?.id;
}
