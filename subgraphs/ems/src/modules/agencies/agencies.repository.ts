import { containsPattern, label, type Executor } from '@medport/database';
import type { ServiceStatus, TransportLevel } from '@medport/domain';
import { badInput, cursorText, isId, type Page } from '@medport/graphql';
import { sql, type ExpressionBuilder } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import type { AgencyRow, AgencyUpdate, NewAgencyRow } from './agencies.table.js';

export interface AgencyFilter {
  statuses?: ServiceStatus[] | null;
  capability?: TransportLevel | null;
  nameContains?: string | null;
  includeInactive?: boolean | null;
}

/** The agencies a caller sees, as a condition; null when it sees all of them. */
function agenciesWithin(reach: AgencyReach) {
  if (reach.kind === 'ALL') return null;
  return (eb: ExpressionBuilder<EmsDatabase, 'agencies'>) => (reach.kind === 'AGENCY' ? eb('id', '=', reach.agencyId) : sql<boolean>`false`);
}

export function findAgenciesByIds(db: Executor<EmsDatabase>, reach: AgencyReach, ids: readonly string[]): Promise<AgencyRow[]> {
  let query = db.selectFrom('agencies').selectAll().where('id', 'in', ids);
  const within = agenciesWithin(reach);
  if (within) query = query.where(within);
  return query.modifyEnd(label('findAgenciesByIds')).execute();
}

/** Agencies sorted by name; the cursor carries the name and id of the last one (served by agencies_name_idx). */
export function listAgencies(db: Executor<EmsDatabase>, reach: AgencyReach, filter: AgencyFilter, page: Page): Promise<AgencyRow[]> {
  let query = db.selectFrom('agencies').selectAll();
  const within = agenciesWithin(reach);
  if (within) query = query.where(within);
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
