import type { TimeRange } from '@medport/graphql';
import type { CenterContext } from '../../context.js';
import { centerConsumers } from '../../events.js';
import { TRIP_FACTS_TURN } from './analytics.events.js';
import { analyticsReport, replayAnalytics, summarizeNetwork, tenantReport, type ReportArgs, type ReportRow } from './analytics.manager.js';

/** The consumers that build the analytics (those that take the trip facts' turn), rewound by a replay. */
const ANALYTICS_CONSUMERS = centerConsumers.filter((consumer) => consumer.turn === TRIP_FACTS_TURN).map((consumer) => consumer.name);

const groupValue = (row: ReportRow, grouping: ReportRow['grouping']) => (row.grouping === grouping ? row.groupValue : null);

export const analyticsResolvers = {
  Query: {
    networkSummary: (_: unknown, args: { requested?: TimeRange | null }, context: CenterContext) => summarizeNetwork(context, args.requested),
    analytics: (_: unknown, args: ReportArgs, context: CenterContext) => analyticsReport(context.db, context.viewer, args),
  },
  Mutation: {
    replayAnalytics: (_: unknown, __: unknown, context: CenterContext) => replayAnalytics(context, ANALYTICS_CONSUMERS, TRIP_FACTS_TURN),
  },
  AnalyticsRow: {
    hospital: (row: ReportRow, _: unknown, context: CenterContext) => {
      const id = groupValue(row, 'HOSPITAL');
      return id ? context.loaders.hospital.load(id) : null;
    },
    agency: (row: ReportRow) => {
      const id = groupValue(row, 'AGENCY');
      return id ? { __typename: 'Agency', id } : null;
    },
    transportLevel: (row: ReportRow) => groupValue(row, 'TRANSPORT_LEVEL'),
    priority: (row: ReportRow) => groupValue(row, 'PRIORITY'),
  },
  Hospital: {
    activity: (hospital: { id: string }, args: ReportArgs, context: CenterContext) => tenantReport(context, 'HOSPITAL', hospital.id, args),
  },
  Agency: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    performance: (agency: { id: string }, args: ReportArgs, context: CenterContext) => tenantReport(context, 'AGENCY', agency.id, args),
  },
};
