import { auditedChange } from '@medport/audit';
import { CENTER_ADMIN_ROLES, CENTER_STAFF_ROLES, forbidden, isCenterStaff, requireRole, requireViewer, worksFor, type Viewer } from '@medport/auth';
import type { Executor } from '@medport/database';
import { enumValues, TransportStatusEnum, type TransportStatus } from '@medport/domain';
import { badInput, isId, requireTimeRange, type TimeRange } from '@medport/graphql';
import { AuditAction } from '../../audit.js';
import type { CenterContext } from '../../context.js';
import type { CenterDatabase } from '../../database.js';
import { readSettings } from '../system/settings.js';
import { analyticsTimeZone } from './analytics.config.js';
import { countTripsByStatus, readRollups, resetForReplay, type RollupSelection } from './analytics.repository.js';
import { addDays, daysBetween, localDateOf, parseLocalDate, periodStartOf, periodsWithin, PERIODS, type LocalDate, type Period } from './calendar.js';
import { addCounts, emptyCounts, isZero, kpisOf, type Dimension, type RollupCounts, type RollupRow, type TripKpis } from './rollups.js';

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

/** What a report may be grouped by besides its periods. */
export const GROUPINGS = ['HOSPITAL', 'AGENCY', 'TRANSPORT_LEVEL', 'PRIORITY'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/**
 * The longest range a report covers: a day-by-day report of three years is already a thousand rows per group, and
 * a range without bounds would be a query without bounds.
 */
export const MAX_RANGE_DAYS: Record<Period, number> = { DAY: 1_096, WEEK: 3_653, MONTH: 3_653 };

export interface ReportArgs {
  from?: string | null;
  to?: string | null;
  period?: string | null;
  groupBy?: string | null;
}

export interface ReportRange {
  from: LocalDate;
  to: LocalDate;
  period: Period;
}

export interface ReportRow {
  /** The first and last day the row counts: its period, cut to the report's range. */
  periodStart: LocalDate;
  periodEnd: LocalDate;
  grouping: Grouping | null;
  /** The hospital or agency id, level or priority; null for a whole-network row and for trips no agency took. */
  groupValue: string | null;
  kpis: TripKpis;
}

export interface AnalyticsReport extends ReportRange {
  groupBy: Grouping | null;
  timeZone: string;
  acceptToPickupSlaMinutes: number;
  onTimeWindowMinutes: number;
  total: TripKpis;
  rows: ReportRow[];
}

const FIRST_DAY = '2000-01-01';
const LAST_DAY = '2199-12-31';

/** The days a report covers when it names no start: the last 30, its end included. */
export const DEFAULT_RANGE_DAYS = 30;

/** A day argument: absent means the default the caller gives; anything else must be a day written YYYY-MM-DD. */
function localDateOr(value: string | null | undefined, field: string, fallback: () => LocalDate): LocalDate {
  if (value === null || value === undefined) return fallback();
  if (value.trim() === '') throw badInput(`\`${field}\` must be a calendar date written YYYY-MM-DD, or left out.`, field);
  if (!parseLocalDate(value.trim())) throw badInput(`\`${field}\` must be a calendar date written YYYY-MM-DD, e.g. 2026-03-31.`, field);
  // Trips have dates of this century and the next; a year like 9999 only makes the calendar run off its end.
  if (value.trim() < FIRST_DAY || value.trim() > LAST_DAY) throw badInput(`\`${field}\` must lie between ${FIRST_DAY} and ${LAST_DAY}.`, field);
  return value.trim();
}

function requireChoice<T extends string>(value: string | null | undefined, choices: readonly T[], field: string): T | null {
  if (value === null || value === undefined) return null;
  if (!(choices as readonly string[]).includes(value)) throw badInput(`\`${field}\` must be one of ${choices.join(', ')}.`, field);
  return value as T;
}

/**
 * A report's range and period, checked: in order and not longer than the period allows. Left out, `to` is today and
 * `from` the 30th day up to `to` (both in the network's time zone), so that a report asked for without dates shows
 * the recent weeks, whenever it is asked.
 */
export function requireReportRange(args: ReportArgs, today: () => LocalDate = () => localDateOf(new Date(), analyticsTimeZone())): ReportRange {
  // A given start is checked first, so that an error names the first bad argument.
  const givenFrom = args.from === null || args.from === undefined ? null : localDateOr(args.from, 'from', today);
  const to = localDateOr(args.to, 'to', today);
  const from = givenFrom ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  const period = requireChoice(args.period, PERIODS, 'period') ?? 'MONTH';
  if (from > to) throw badInput('`from` must not be after `to`.', 'from');
  if (daysBetween(from, to) > MAX_RANGE_DAYS[period]) {
    throw badInput(`A report by ${period} covers at most ${MAX_RANGE_DAYS[period]} days; narrow \`from\`–\`to\` or choose a longer period.`, 'to');
  }
  return { from, to, period };
}

/**
 * The summed rollups of each period of the range, per value of the dimension. Whole periods come from their own
 * rollup rows; a period the range cuts (a month from the 15th) is summed from its days' rows. A few hundred rows
 * at most are read, however many trips the range holds.
 */
async function sumRollups(db: Executor<CenterDatabase>, range: ReportRange, dimension: Dimension, value?: string) {
  const periods = periodsWithin(range.from, range.to, range.period);
  const whole = periods.filter((period) => period.from === period.start && period.to === period.end);
  const cut = periods.filter((period) => !whole.includes(period));
  const selection = (granularity: Period, from: LocalDate, to: LocalDate): RollupSelection => ({ granularity, dimension, value, from, to });
  const reads: Promise<RollupRow[]>[] = [];
  if (whole.length > 0) reads.push(readRollups(db, selection(range.period, whole[0]!.start, whole[whole.length - 1]!.start)));
  for (const period of cut) reads.push(readRollups(db, selection('DAY', period.from, period.to)));
  // Per period start, per dimension value.
  const sums = new Map<LocalDate, Map<string, RollupCounts>>();
  for (const row of (await Promise.all(reads)).flat()) {
    const periodStart = periodStartOf(row.period_start, range.period);
    let values = sums.get(periodStart);
    if (!values) sums.set(periodStart, (values = new Map()));
    // The rows are this report's own: the first of a group holds the group's sum.
    const counts = values.get(row.dimension_value);
    if (counts) addCounts(counts, row);
    else values.set(row.dimension_value, row);
  }
  return { periods, sums };
}

async function buildReport(db: Executor<CenterDatabase>, range: ReportRange, groupBy: Grouping | null, only?: { dimension: Dimension; value: string }) {
  const settings = await readSettings(db);
  const kpiSettings = { acceptToPickupSlaMinutes: settings.acceptToPickupSlaMinutes, onTimeWindowMinutes: settings.onTimeWindowMinutes };
  const dimension: Dimension = only?.dimension ?? groupBy ?? 'NETWORK';
  const [{ periods, sums }, network] = await Promise.all([
    sumRollups(db, range, dimension, only?.value ?? (dimension === 'NETWORK' ? '' : undefined)),
    // A grouped report's total is the network's: an offer counts once for the network, once per agency offered.
    groupBy && !only ? sumRollups(db, range, 'NETWORK', '') : null,
  ]);
  const rows: ReportRow[] = [];
  for (const period of periods) {
    // A group's stored sums fall to zero when its trips move on (a trip counts for no agency until one accepts it).
    const inPeriod = [...(sums.get(period.start) ?? [])].filter(([, counts]) => !isZero(counts));
    // Ungrouped reports have a row for every period, empty ones included, so a chart's axis has no gaps.
    if (!groupBy && inPeriod.length === 0) inPeriod.push(['', emptyCounts()]);
    for (const [value, counts] of inPeriod.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rows.push({ periodStart: period.from, periodEnd: period.to, grouping: groupBy, groupValue: groupBy ? value || null : null, kpis: kpisOf(counts, kpiSettings) });
    }
  }
  const totalOf = (sumsOf: typeof sums) =>
    [...sumsOf.values()].flatMap((values) => [...values.values()]).reduce((total, counts) => addCounts(total, counts), emptyCounts());
  return {
    ...range,
    groupBy,
    timeZone: analyticsTimeZone(),
    ...kpiSettings,
    total: kpisOf(totalOf(network?.sums ?? sums), kpiSettings),
    rows,
  } satisfies AnalyticsReport;
}

/**
 * The network's KPIs over a range of days, by day, week or month and optionally by hospital, agency, level or
 * priority. Center staff only: the figures compare tenants with each other.
 */
export function analyticsReport(db: Executor<CenterDatabase>, viewer: Viewer | null, args: ReportArgs): Promise<AnalyticsReport> {
  requireRole(viewer, CENTER_STAFF_ROLES, 'read the network analytics');
  const range = requireReportRange(args);
  return buildReport(db, range, requireChoice(args.groupBy, GROUPINGS, 'groupBy'));
}

/**
 * One hospital's or agency's KPIs. Center staff read anyone's; a hospital's or agency's own accounts read their
 * own, since the figures are about their own trips. Anyone else is FORBIDDEN.
 */
export function tenantReport(context: CenterContext, dimension: 'HOSPITAL' | 'AGENCY', id: string, args: ReportArgs): Promise<AnalyticsReport> {
  const viewer = requireViewer(context.viewer);
  if (!isCenterStaff(viewer) && !worksFor(viewer, id)) throw forbidden(`Only the center's staff and the ${dimension.toLowerCase()}'s own accounts read its figures.`);
  const range = requireReportRange({ ...args, groupBy: null });
  return buildReport(context.db, range, null, { dimension, value: isId(id) ? id.toLowerCase() : id });
}

/**
 * Rebuilds the analytics from the event history: every fact and rollup is forgotten, and the consumers that build
 * them replay the hospital's and ems's feeds from the start. Returns at once; the consumers' progress shows in
 * `centerEventConsumers`. Center administrators only; audited.
 */
export function replayAnalytics(context: CenterContext, consumerNames: readonly string[], turn: string): Promise<{ consumers: readonly string[]; requestedAt: Date }> {
  return auditedChange(context, { action: AuditAction.REPLAY_ANALYTICS, entityType: 'Analytics', entityId: null }, async (commit) => {
    requireRole(context.viewer, CENTER_ADMIN_ROLES, 'rebuild the analytics');
    return commit(
      async (trx) => {
        await resetForReplay(trx, consumerNames, turn);
        return { consumers: consumerNames, requestedAt: new Date() };
      },
      () => 'trip_facts',
    );
  });
}
