import { label, type Executor } from '@medport/database';
import type { TransportStatus } from '@medport/domain';
import type { CenterDatabase } from '../../database.js';

export interface RequestedRange {
  from: Date | null;
  to: Date | null;
}

/** How many trips requested within the range are in each status (served by trip_facts_requested_idx). */
export function countTripsByStatus(db: Executor<CenterDatabase>, range: RequestedRange): Promise<{ status: TransportStatus; count: number }[]> {
  let query = db.selectFrom('trip_facts').select((eb) => ['status', eb.fn.countAll<number>().as('count')]);
  if (range.from) query = query.where('requested_at', '>=', range.from);
  if (range.to) query = query.where('requested_at', '<=', range.to);
  return query.groupBy('status').modifyEnd(label('countTripsByStatus')).execute();
}
