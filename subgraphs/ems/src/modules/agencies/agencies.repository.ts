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

/** Agencies that may be offered a trip of `level`: taking part in the network (ACTIVE, not retired) and providing it. */
function offerableFor(level: TransportLevel) {
  return (eb: ExpressionBuilder<EmsDatabase, 'agencies'>) =>
    eb.and([
      eb('agencies.status', '=', 'ACTIVE'),
      eb('agencies.is_active', '=', true),
      sql<boolean>`${sql.ref('agencies.levels')} @> array[${level}]::text[]`,
    ]);
}

/** Of these agencies, the ids of those that may be offered a trip of `level`, in no particular order. */
export async function findOfferableAgencyIds(db: Executor<EmsDatabase>, ids: readonly string[], level: TransportLevel): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('agencies')
    .select('id')
    .where('id', 'in', ids)
    .where(offerableFor(level))
    .modifyEnd(label('findOfferableAgencyIds'))
    .execute();
  return rows.map((row) => row.id);
}

/**
 * The agencies that may be offered a trip of `level` and have an active service area containing `point`, nearest
 * first: by the great-circle distance from the point to the centre of the closest such area (haversine on a
 * 6371 km sphere; least() keeps rounding from pushing asin past its domain).
 */
export async function findAgenciesCovering(
  db: Executor<EmsDatabase>,
  point: { latitude: number; longitude: number },
  level: TransportLevel,
): Promise<{ id: string; distanceKm: number }[]> {
  const distanceKm = sql<number>`2 * 6371 * asin(least(1, sqrt(
      power(sin(radians(${sql.ref('service_areas.center_latitude')} - ${point.latitude}) / 2), 2)
      + cos(radians(${point.latitude})) * cos(radians(${sql.ref('service_areas.center_latitude')}))
      * power(sin(radians(${sql.ref('service_areas.center_longitude')} - ${point.longitude}) / 2), 2))))`;
  const areas = db
    .selectFrom('service_areas')
    .innerJoin('agencies', 'agencies.id', 'service_areas.agency_id')
    .select(['agencies.id as agency_id', 'service_areas.radius_km'])
    .select(distanceKm.as('distance_km'))
    .where('service_areas.is_active', '=', true)
    .where(offerableFor(level));
  const rows = await db
    .selectFrom(areas.as('areas'))
    .select('agency_id')
    .select((eb) => eb.fn.min<number>('distance_km').as('distance_km'))
    .whereRef('distance_km', '<=', 'radius_km')
    .groupBy('agency_id')
    .orderBy('distance_km')
    .orderBy('agency_id')
    .modifyEnd(label('findAgenciesCovering'))
    .execute();
  return rows.map((row) => ({ id: row.agency_id, distanceKm: Number(row.distance_km) }));
}

/** Sets an agency's standing in the network; false when there is no such agency. */
export async function setAgencyStatus(trx: Executor<EmsDatabase>, id: string, status: ServiceStatus): Promise<boolean> {
  const updated = await trx
    .updateTable('agencies')
    .set({ status, updated_at: new Date() })
    .where('id', '=', id)
    .returning('id')
    .modifyEnd(label('setAgencyStatus'))
    .executeTakeFirst();
  return updated !== undefined;
}
