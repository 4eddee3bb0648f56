import { containsPattern, label, type Executor } from '@medport/database';
import type { ServiceStatus, TransportLevel } from '@medport/domain';
import { badInput, cursorText, isId, type Page } from '@medport/graphql';
import { sql } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { AgencyRow, AgencyUpdate, NewAgencyRow } from './agencies.table.js';

export interface AgencyFilter {
  statuses?: ServiceStatus[] | null;
  capability?: TransportLevel | null;
  nameContains?: string | null;
  includeInactive?: boolean | null;
}

export function findAgenciesByIds(db: Executor<EmsDatabase>, ids: readonly string[]): Promise<AgencyRow[]> {
  return db.selectFrom('agencies').selectAll().where('id', 'in', ids).modifyEnd(label('findAgenciesByIds')).execute();
}

/** Agencies sorted by name; the cursor carries the name and id of the last one (served by agencies_name_idx). */
export function listAgencies(db: Executor<EmsDatabase>, filter: AgencyFilter, page: Page): Promise<AgencyRow[]> {
  let query = db.selectFrom('agencies').selectAll();
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.capability) query = query.where(sql<boolean>`${sql.ref('levels')} @> array[${filter.capability}]::text[]`);
  if (!filter.includeInactive) query = query.where('is_active', '=', true);
  if (filter.nameContains) query = query.where('name', 'ilike', containsPattern(filter.nameContains));
  if (page.after) {
    const name = cursorText(page.after);
    const id = page.after.id;
    if (!isId(id)) throw badInput('The cursor in `after` does not belong to this list.', 'after');
    query = query.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }
  return query.orderBy('name').orderBy('id').limit(page.limit + 1).modifyEnd(label('listAgencies')).execute();
}

export function insertAgency(db: Executor<EmsDatabase>, row: NewAgencyRow): Promise<AgencyRow> {
  return db.insertInto('agencies').values(row).returningAll().modifyEnd(label('insertAgency')).executeTakeFirstOrThrow();
}

export function updateAgency(db: Executor<EmsDatabase>, id: string, changes: AgencyUpdate): Promise<AgencyRow | undefined> {
  return db
    .updateTable('agencies')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(label('updateAgency'))
    .executeTakeFirst();
}
