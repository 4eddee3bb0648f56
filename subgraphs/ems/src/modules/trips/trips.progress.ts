import { newId, type TransportStatus, type UnitStatus } from '@medport/domain';
import { publishEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { EmsDatabase } from '../../database.js';
import { moveUnitStatus } from '../units/units.repository.js';
import { insertTripProgress } from './trips.repository.js';

/** What the unit serving a trip is doing once the trip reaches a status; a cancelled or completed trip frees it. */
const UNIT_STATUS_FOR: Partial<Record<TransportStatus, UnitStatus>> = {
  EN_ROUTE: 'EN_ROUTE',
  AT_PICKUP: 'ON_SCENE',
  TRANSPORTING: 'TRANSPORTING',
  AT_DESTINATION: 'AT_DESTINATION',
  COMPLETED: 'AVAILABLE',
  CANCELLED: 'AVAILABLE',
};

/** The statuses of a unit busy with a trip. */
const SERVING_A_TRIP: readonly UnitStatus[] = ['COMMITTED', 'EN_ROUTE', 'ON_SCENE', 'TRANSPORTING', 'AT_DESTINATION'];

/**
 * Moves the unit serving a trip along with it. Only while the unit is still busy with a trip: a unit its dispatcher
 * took out of service meanwhile stays out of service.
 */
export async function unitFollowsTrip(trx: Transaction<EmsDatabase>, unitId: string, status: TransportStatus): Promise<void> {
  const next = UNIT_STATUS_FOR[status];
  if (next) await moveUnitStatus(trx, unitId, SERVING_A_TRIP, next);
}

export interface ProgressReport {
  status: TransportStatus;
  agencyId: string | null;
  unitId: string | null;
  /** The account that caused the change; null for the expiry sweep. */
  reportedById: string | null;
  notes: string | null;
  etaMinutes: number | null;
  occurredAt: Date;
}

/**
 * Records a status change this silo made to a trip and tells the hospital, in the caller's transaction: the event
 * exists exactly when the change does.
 */
export async function reportProgress(trx: Transaction<EmsDatabase>, tripId: string, report: ProgressReport): Promise<void> {
  await insertTripProgress(trx, [
    {
      id: newId(),
      trip_id: tripId,
      status: report.status,
      agency_id: report.agencyId,
      unit_id: report.unitId,
      reported_by_id: report.reportedById,
      notes: report.notes,
      occurred_at: report.occurredAt,
    },
  ]);
  await publishEvent(trx, 'TripProgressReported', tripId, {
    tripId,
    status: report.status,
    agencyId: report.agencyId,
    unitId: report.unitId,
    occurredAt: report.occurredAt.toISOString(),
    etaMinutes: report.etaMinutes,
    reportedById: report.reportedById,
  });
}
