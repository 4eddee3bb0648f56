import { randomUUID } from 'node:crypto';
import { createRequestAudit, recordRefusal } from '@medport/audit';
import type { Viewer } from '@medport/auth';
import type { Authentication } from '@medport/server';
import { GraphQLError } from 'graphql';
import type { Kysely } from 'kysely';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CenterDatabase } from '../../database.js';
import { analyticsReport, type AnalyticsReport, type ReportRow } from './analytics.manager.js';
import type { Percentiles, TripKpis } from './rollups.js';

/** Where a report is served as CSV, with the arguments of `Query.analytics` as query parameters. */
export const ANALYTICS_CSV_PATH = '/analytics.csv';

const STATUS_FOR_CODE: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400 };

type Column = [name: string, read: (kpis: TripKpis) => number | null];

const percentileColumns = (name: string, read: (kpis: TripKpis) => Percentiles | null): Column[] => [
  [`${name}_p50_minutes`, (kpis) => read(kpis)?.p50 ?? null],
  [`${name}_p90_minutes`, (kpis) => read(kpis)?.p90 ?? null],
];

/** The KPI columns, in the order of `TripKpis`; lists become one column per status, reason or party. */
function kpiColumns(sample: TripKpis): Column[] {
  return [
    ['trips', (kpis) => kpis.tripCount],
    ...sample.byStatus.map((entry, i): Column => [`status_${entry.status.toLowerCase()}`, (kpis) => kpis.byStatus[i]!.count]),
    ...percentileColumns('acceptance', (kpis) => kpis.acceptanceMinutes),
    ['offered_trips', (kpis) => kpis.offeredTrips],
    ['accepted_trips', (kpis) => kpis.acceptedTrips],
    ['fill_rate', (kpis) => kpis.fillRate],
    ['expired', (kpis) => kpis.expiredCount],
    ['offers', (kpis) => kpis.offers],
    ['responses', (kpis) => kpis.responses],
    ['declines', (kpis) => kpis.declines],
    ['responses_per_trip', (kpis) => kpis.responsesPerTrip],
    ['decline_rate', (kpis) => kpis.declineRate],
    ...percentileColumns('unit_response', (kpis) => kpis.unitResponseMinutes),
    ...percentileColumns('accept_to_pickup', (kpis) => kpis.acceptToPickupMinutes),
    ['within_sla', (kpis) => kpis.withinSlaCount],
    ['within_sla_rate', (kpis) => kpis.withinSlaRate],
    ['scheduled_pickups', (kpis) => kpis.scheduledPickups],
    ['on_time_pickups', (kpis) => kpis.onTimePickups],
    ['on_time_pickup_rate', (kpis) => kpis.onTimePickupRate],
    ...percentileColumns('transport', (kpis) => kpis.transportMinutes),
    ['completed', (kpis) => kpis.completedCount],
    ['completion_rate', (kpis) => kpis.completionRate],
    ['cancelled', (kpis) => kpis.cancelledCount],
    ['cancellation_rate', (kpis) => kpis.cancellationRate],
    ...sample.cancellationsByReason.map((entry, i): Column => [
      `cancelled_${entry.reason.toLowerCase()}`,
      (kpis) => kpis.cancellationsByReason[i]!.count,
    ]),
    ...sample.cancellationsByParty.map((entry, i): Column => [
      `cancelled_by_${entry.party.toLowerCase()}`,
      (kpis) => kpis.cancellationsByParty[i]!.count,
    ]),
  ];
}

/** A report as CSV (RFC 4180): a header, then one line per row of the report. Rates are shares from 0 to 1. */
export function reportCsv(report: AnalyticsReport): string {
  const columns = kpiColumns(report.total);
  const header = ['period_start', 'period_end', 'group_by', 'group_value', ...columns.map(([name]) => name)];
  const line = (row: ReportRow) => [row.periodStart, row.periodEnd, row.grouping ?? '', row.groupValue ?? '', ...columns.map(([, read]) => read(row.kpis) ?? '')];
  const escape = (value: string | number) => (/[",\r\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
  return [header, ...report.rows.map(line)].map((fields) => fields.map(escape).join(',')).join('\r\n') + '\r\n';
}

function sendError(response: ServerResponse, error: GraphQLError) {
  const code = String(error.extensions.code);
  response.writeHead(STATUS_FOR_CODE[code] ?? 500, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code, ...(error.extensions.field ? { field: error.extensions.field } : {}) } }] }));
}

/**
 * `GET /analytics.csv?from=2026-01-01&to=2026-03-31&period=MONTH&groupBy=AGENCY`: the report `Query.analytics`
 * answers, as a CSV file for spreadsheets and BI tools. The same bearer token and the same rules: center staff
 * only, and bad arguments answered 400 with the GraphQL error (code and field) as JSON.
 */
export function analyticsCsvRoute(db: Kysely<CenterDatabase>, authenticateRequest: (request: IncomingMessage) => Promise<Authentication>) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== ANALYTICS_CSV_PATH) return false;
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return true;
    }
    let viewer: Viewer | null = null;
    try {
      const authentication = await authenticateRequest(request);
      if (authentication.authenticationError) throw authentication.authenticationError;
      viewer = authentication.viewer;
      const parameter = (name: string) => url.searchParams.get(name);
      const report = await analyticsReport(db, viewer, { from: parameter('from'), to: parameter('to'), period: parameter('period'), groupBy: parameter('groupBy') });
      const name = `medport-analytics-${report.from}-${report.to}-${report.period.toLowerCase()}${report.groupBy ? `-${report.groupBy.toLowerCase()}` : ''}.csv`;
      response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' });
      response.end(reportCsv(report));
    } catch (error) {
      if (!(error instanceof GraphQLError) || !STATUS_FOR_CODE[String(error.extensions.code)]) throw error;
      // Outside GraphQL, so not recorded where the schema's refusals are: the same record `Query.analytics` leaves.
      await recordRefusal(createRequestAudit(db, viewer, randomUUID()), error, { action: 'READ_ANALYTICS', entityType: 'AnalyticsReport', entityId: null }, { format: 'csv' });
      sendError(response, error);
    }
    return true;
  };
}
