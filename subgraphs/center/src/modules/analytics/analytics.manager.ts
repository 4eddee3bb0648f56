import { CENTER_STAFF_ROLES, requireRole } from '@medport/auth';
import { enumValues, TransportStatusEnum, type TransportStatus } from '@medport/domain';
import { requireTimeRange, type TimeRange } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { countTripsByStatus } from './analytics.repository.js';

export interface NetworkSummary {
  tripCount: number;
  byStatus: { status: TransportStatus; count: number }[];
}

/**
 * Network-wide figures, for the center's staff: they compare hospitals and agencies with each other, so no single
 * tenant may read them.
 */
export async function summarizeNetwork(context: CenterContext, requested: TimeRange | null | undefined): Promise<NetworkSummary> {
  requireRole(context.viewer, CENTER_STAFF_ROLES, 'read the network summary');
  const range = requireTimeRange(requested ?? {}, 'requested');
  const rows = await countTripsByStatus(context.db, { from: range.from ?? null, to: range.to ?? null });
  const counts = new Map(rows.map((row) => [row.status, Number(row.count)]));
  // Every status, zeros included and in lifecycle order, so a chart's series never shift between ranges.
  const byStatus = enumValues(TransportStatusEnum).map((status) => ({ status, count: counts.get(status) ?? 0 }));
  return { tripCount: byStatus.reduce((sum, entry) => sum + entry.count, 0), byStatus };
}
