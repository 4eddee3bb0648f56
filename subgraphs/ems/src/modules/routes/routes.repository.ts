import { label, type Executor } from '@medport/database';
import type { EmsDatabase } from '../../database.js';
import type { RouteRow } from './routes.table.js';

export function findRoutesByAgencyIds(db: Executor<EmsDatabase>, agencyIds: readonly string[]): Promise<RouteRow[]> {
  return db
    .selectFrom('routes')
    .selectAll()
    .where('agency_id', 'in', agencyIds)
    .orderBy('name')
    .orderBy('id')
    .modifyEnd(label('findRoutesByAgencyIds'))
    .execute();
}
