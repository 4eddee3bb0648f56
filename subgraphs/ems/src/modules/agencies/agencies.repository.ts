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

/** Inserts an agency the center registered; undefined when it is here already (the registration was applied before). */
export function insertRegisteredAgency(db: Executor<EmsDatabase>, row: NewAgencyRow): Promise<AgencyRow | undefined> {
  return db
    .insertInto('agencies')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returningAll()
    .modifyEnd(label('insertRegisteredAgency'))
    .executeTakeFirst();
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

/** An agency that takes part in the network now, with what dispatch needs to choose it. */
export interface DispatchCandidate {
  id: string;
  levels: readonly TransportLevel[];
  /** Its active service areas: circles around a centre. */
  areas: { latitude: number; longitude: number; radiusKm: number }[];
}

/**
 * Every agency that may be offered trips (ACTIVE, not retired), with its active service areas: what dispatch
 * chooses from, read once for a whole batch of new trips. A network has tens of agencies, not millions.
 */
export async function findDispatchCandidates(db: Executor<EmsDatabase>): Promise<Map<string, DispatchCandidate>> {
  const rows = await db
    .selectFrom('agencies')
    .leftJoin('service_areas', (join) => join.onRef('service_areas.agency_id', '=', 'agencies.id').on('service_areas.is_active', '=', true))
    .select(['agencies.id', 'agencies.levels', 'service_areas.center_latitude', 'service_areas.center_longitude', 'service_areas.radius_km'])
    .where('agencies.status', '=', 'ACTIVE')
    .where('agencies.is_active', '=', true)
    .modifyEnd(label('findDispatchCandidates'))
    .execute();
  const candidates = new Map<string, DispatchCandidate>();
  for (const row of rows) {
    let candidate = candidates.get(row.id);
    if (!candidate) candidates.set(row.id, (candidate = { id: row.id, levels: row.levels, areas: [] }));
    if (row.center_latitude !== null && row.center_longitude !== null && row.radius_km !== null) {
      candidate.areas.push({ latitude: row.center_latitude, longitude: row.center_longitude, radiusKm: row.radius_km });
    }
  }
  return candidates;
}

/**
 * Sets an agency's standing in the network as of `changedAt`, unless a newer change was applied already. Answers
 * whether the agency exists here at all.
 */
export async function setAgencyStatus(trx: Executor<EmsDatabase>, id: string, status: ServiceStatus, changedAt: Date): Promise<boolean> {
  const agency = await trx.selectFrom('agencies').select(['id', 'status_changed_at']).where('id', '=', id).forUpdate().modifyEnd(label('lockAgencyStatus')).executeTakeFirst();
  if (!agency) return false;
  if (agency.status_changed_at && agency.status_changed_at.getTime() >= changedAt.getTime()) return true;
  await trx
    .updateTable('agencies')
    .set({ status, status_changed_at: changedAt, updated_at: new Date() })
    .where('id', '=', id)
    .modifyEnd(label('setAgencyStatus'))
    .execute();
  return true;
}
