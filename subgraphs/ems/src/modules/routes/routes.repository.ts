import { label, type Executor } from '@medport/database';
import type { EmsDatabase } from '../../database.js';
import type { AgencyReach } from '../../scope.js';
import type { RouteRow } from './routes.table.js';

/** The routes of these agencies that the caller sees (its own agency's, for an agency). */
export function findRoutesByAgencyIds(db: Executor<EmsDatabase>, reach: AgencyReach, agencyIds: readonly string[]): Promise<RouteRow[]> {
  if (reach.kind === 'NONE') return Promise.resolve([]);
  let query = db.selectFrom('routes').selectAll().where('agency_id', 'in', agencyIds);
  if (reach.kind === 'AGENCY') query = query.where('agency_id', '=', reach.agencyId);
  return query
    .orderBy('name')
    .orderBy('id')
    .modifyEnd(label('findRoutesByAgencyIds'))
    .execute();
}
