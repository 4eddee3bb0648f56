import { label, type Executor } from '@medport/database';
import type { ServiceStatus } from '@medport/domain';
import { cursorText, type Page } from '@medport/graphql';
import type { CenterDatabase } from '../../database.js';
import { sql } from 'kysely';
import type { NewServiceRegistrationRow, ServiceRegistrationRow } from './service-registry.table.js';

export interface ServiceRegistrationFilter {
  statuses?: ServiceStatus[] | null;
}

export function findRegistrationsByIds(db: Executor<CenterDatabase>, ids: readonly string[]): Promise<ServiceRegistrationRow[]> {
  return db.selectFrom('service_registry').selectAll().where('id', 'in', ids).modifyEnd(label('findRegistrationsByIds')).execute();
}

export function findRegistrationByAgencyId(db: Executor<CenterDatabase>, agencyId: string): Promise<ServiceRegistrationRow | undefined> {
  return db
    .selectFrom('service_registry')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .modifyEnd(label('findRegistrationByAgencyId'))
    .executeTakeFirst();
}

/** Registrations sorted by service name; the cursor carries the name and id of the last one. */
export function listRegistrations(
  db: Executor<CenterDatabase>,
  filter: ServiceRegistrationFilter,
  page: Page,
): Promise<ServiceRegistrationRow[]> {
  let query = db.selectFrom('service_registry').selectAll();
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (page.after) {
    const name = cursorText(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('service_name', '>', name), eb.and([eb('service_name', '=', name), eb('id', '>', id)])]));
  }
  return query.orderBy('service_name').orderBy('id').limit(page.limit + 1).modifyEnd(label('listRegistrations')).execute();
}

/**
 * Inserts a registration, or nothing when its name is registered already (whatever its case). Returns undefined in
 * that case: the unique index on lower(service_name) decides, so two concurrent registrations cannot both win.
 */
export function insertRegistration(db: Executor<CenterDatabase>, row: NewServiceRegistrationRow): Promise<ServiceRegistrationRow | undefined> {
  return db
    .insertInto('service_registry')
    .values(row)
    .onConflict((conflict) => conflict.expression(sql`lower(service_name)`).doNothing())
    .returningAll()
    .modifyEnd(label('insertRegistration'))
    .executeTakeFirst();
}

/** A registration, locked until the transaction ends, so concurrent status changes apply one after the other. */
export function lockRegistration(trx: Executor<CenterDatabase>, id: string): Promise<ServiceRegistrationRow | undefined> {
  return trx.selectFrom('service_registry').selectAll().where('id', '=', id).forUpdate().modifyEnd(label('lockRegistration')).executeTakeFirst();
}

export function updateRegistrationStatus(trx: Executor<CenterDatabase>, id: string, status: ServiceStatus): Promise<ServiceRegistrationRow> {
  return trx
    .updateTable('service_registry')
    .set({ status, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateRegistrationStatus'))
    .executeTakeFirstOrThrow();
}
