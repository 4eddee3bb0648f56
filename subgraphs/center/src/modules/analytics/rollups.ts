import {
  CancellationPartyEnum,
  CancellationReasonEnum,
  enumValues,
  TransportStatusEnum,
  type CancellationParty,
  type CancellationReason,
  type TransportStatus,
} from '@medport/domain';
import { localDateOf, periodStartOf, PERIODS, type LocalDate, type Period } from './calendar.js';
import type { TripFactRow } from './analytics.table.js';
import { agencyResponsesOf, offeredAgencyIdsOf } from './trip-facts.js';

/**
 * Pre-aggregated KPIs. Every complete trip fact contributes counts to a few rollup rows: one per period kind
 * (day, week, month of its request, in the network's time zone) and per dimension (the whole network, its
 * hospital, its agency, its level, its priority). A KPI query then reads a few hundred rows instead of a million
 * facts. Everything a rollup holds is a sum, so the rows of several days add up to the row of their week, and
 * a change to a fact is applied as the difference between what the fact contributed before and after.
 *
 * Durations are kept as histograms, not as averages, so that percentiles can be read from the sums: one bin per
 * minute up to 2 hours, then 5-minute bins up to 6 hours, 30-minute bins up to 24 hours, and one bin beyond.
 * A percentile is reported as the upper edge of the bin its trip falls in (exact to the minute under 2 hours).
 * Thresholds an administrator can change (the accept → pickup SLA, the on-time window) are applied when a query
 * reads the histograms, so a changed setting applies to all history at once.
 */

export const DIMENSIONS = ['NETWORK', 'HOSPITAL', 'AGENCY', 'TRANSPORT_LEVEL', 'PRIORITY'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const TRANSPORT_STATUSES = enumValues(TransportStatusEnum);
export const CANCELLATION_REASONS = enumValues(CancellationReasonEnum);
export const CANCELLATION_PARTIES = enumValues(CancellationPartyEnum);

/** Counters that are one number per rollup row. */
export const SCALAR_COUNTERS = ['trips', 'offered_trips', 'accepted_trips', 'offers', 'responses', 'declines'] as const;
/** Counters that are a list of numbers: per status, reason or party (in enum order), or a histogram's bins. */
export const LIST_COUNTERS = [
  'status_counts',
  'cancellations_by_reason',
  'cancellations_by_party',
  'acceptance_minutes',
  'unit_response_minutes',
  'accept_to_pickup_minutes',
  'transport_minutes',
  'pickup_deviation_minutes',
] as const;

export type ScalarCounter = (typeof SCALAR_COUNTERS)[number];
export type ListCounter = (typeof LIST_COUNTERS)[number];
export type RollupCounts = Record<ScalarCounter, number> & Record<ListCounter, number[]>;

export interface RollupKey {
  granularity: Period;
  period_start: LocalDate;
  dimension: Dimension;
  /** The hospital or agency id, level or priority; '' for the network, and for trips no agency took. */
  dimension_value: string;
}

export type RollupRow = RollupKey & RollupCounts;

/** Upper edges of the duration bins, in minutes; a last bin holds everything beyond 24 hours. */
export const DURATION_BIN_EDGES: readonly number[] = [
  ...Array.from({ length: 120 }, (_, i) => i + 1),
  ...Array.from({ length: 48 }, (_, i) => 125 + i * 5),
  ...Array.from({ length: 36 }, (_, i) => 390 + i * 30),
];
const OVERFLOW_BIN = DURATION_BIN_EDGES.length;

/** The bin of a duration: the first whose upper edge is at least the duration. A negative one counts as 0. */
export function durationBinOf(milliseconds: number): number {
  const minutes = Math.max(0, milliseconds) / 60_000;
  if (minutes <= 120) return Math.max(0, Math.ceil(minutes) - 1);
  if (minutes <= 360) return 120 + Math.ceil((minutes - 120) / 5) - 1;
  if (minutes <= 1440) return 168 + Math.ceil((minutes - 360) / 30) - 1;
  return OVERFLOW_BIN;
}

/** Pickups more than this many minutes early or late share the outermost bins (the widest on-time window). */
export const PICKUP_DEVIATION_LIMIT = 240;

/**
 * Pickup against its scheduled time in started minutes (negative: early), one bin per minute from −241 to +241, in
 * the order 0, +1, −1, +2, −2, …: most pickups are near their time, so the lists stay short.
 */
export function pickupDeviationBinOf(milliseconds: number): number {
  // Started minutes away from the scheduled time, early or late alike: 15 min 20 s late is 16 minutes late.
  const away = Math.min(PICKUP_DEVIATION_LIMIT + 1, Math.ceil(Math.abs(milliseconds) / 60_000));
  const minutes = milliseconds < 0 ? -away : away;
  return minutes >= 0 ? 2 * minutes : -2 * minutes - 1;
}

/** A list with a single 1 at `index`: one trip counted in one bin (or status, reason, party). */
function oneAt(index: number): number[] {
  const list = new Array<number>(index + 1).fill(0);
  list[index] = 1;
  return list;
}

const between = (start: Date | null, end: Date | null) => (start && end ? end.getTime() - start.getTime() : null);

/** Counts of nothing. Written out, not built from the counter lists: reports make one per row and group. */
export function emptyCounts(): RollupCounts {
  return {
    trips: 0,
    offered_trips: 0,
    accepted_trips: 0,
    offers: 0,
    responses: 0,
    declines: 0,
    status_counts: [],
    cancellations_by_reason: [],
    cancellations_by_party: [],
    acceptance_minutes: [],
    unit_response_minutes: [],
    accept_to_pickup_minutes: [],
    transport_minutes: [],
    pickup_deviation_minutes: [],
  } satisfies Record<ScalarCounter, number> & Record<ListCounter, number[]>;
}

/** What one trip adds to each row it counts in, network, hospital, level and priority alike. */
function tripCounts(fact: TripFactRow): RollupCounts {
  const counts = emptyCounts();
  counts.trips = 1;
  counts.status_counts = oneAt(TRANSPORT_STATUSES.indexOf(fact.status));
  counts.offered_trips = fact.offered_count > 0 ? 1 : 0;
  counts.accepted_trips = fact.accepted_at ? 1 : 0;
  counts.offers = fact.offered_count;
  counts.responses = fact.response_count;
  counts.declines = fact.decline_count;
  if (fact.status === 'CANCELLED') {
    if (fact.cancellation_reason) counts.cancellations_by_reason = oneAt(CANCELLATION_REASONS.indexOf(fact.cancellation_reason));
    if (fact.cancellation_party) counts.cancellations_by_party = oneAt(CANCELLATION_PARTIES.indexOf(fact.cancellation_party));
  }
  const durations: [ListCounter, number | null][] = [
    ['acceptance_minutes', between(fact.requested_at, fact.accepted_at)],
    ['unit_response_minutes', between(fact.assigned_at, fact.at_pickup_at)],
    ['accept_to_pickup_minutes', between(fact.accepted_at, fact.at_pickup_at)],
    ['transport_minutes', between(fact.picked_up_at, fact.at_destination_at)],
  ];
  for (const [counter, duration] of durations) if (duration !== null) counts[counter] = oneAt(durationBinOf(duration));
  const deviation = between(fact.scheduled_pickup_at, fact.at_pickup_at);
  if (deviation !== null) counts.pickup_deviation_minutes = oneAt(pickupDeviationBinOf(deviation));
  return counts;
}

/**
 * What a trip adds to the agency rows. The trip itself (its status, durations, cancellation) counts for the agency
 * that took it, or for '' while no agency has; its offer counts for each agency offered it: an offered trip, and
 * whether that agency answered, declined or accepted it. So an agency's fill rate is the share of the trips offered
 * to it that it accepted, and its decline rate its own.
 */
function agencyCounts(fact: TripFactRow, trip: RollupCounts): [string, RollupCounts][] {
  const taken: RollupCounts = { ...trip, offered_trips: 0, accepted_trips: 0, offers: 0, responses: 0, declines: 0 };
  const rows: [string, RollupCounts][] = [[fact.agency_id?.toLowerCase() ?? '', taken]];
  const responses = agencyResponsesOf(fact);
  for (const agencyId of offeredAgencyIdsOf(fact)) {
    const decision = responses[agencyId];
    rows.push([
      agencyId,
      {
        ...emptyCounts(),
        offered_trips: 1,
        accepted_trips: decision === 'ACCEPTED' ? 1 : 0,
        offers: 1,
        responses: decision ? 1 : 0,
        declines: decision === 'DECLINED' ? 1 : 0,
      },
    ]);
  }
  return rows;
}

/**
 * The rollup rows a fact counts in, with what it adds to each. A partial fact (its request not known yet)
 * counts nowhere: nobody knows its day, hospital or level.
 */
export function contributionsOf(fact: TripFactRow, timeZone: string): RollupRow[] {
  if (fact.requested_at === null || fact.hospital_id === null || fact.transport_level === null || fact.priority === null) return [];
  const day = localDateOf(fact.requested_at, timeZone);
  const trip = tripCounts(fact);
  const byDimension: [Dimension, string, RollupCounts][] = [
    ['NETWORK', '', trip],
    ['HOSPITAL', fact.hospital_id.toLowerCase(), trip],
    ['TRANSPORT_LEVEL', fact.transport_level, trip],
    ['PRIORITY', fact.priority, trip],
    ...agencyCounts(fact, trip).map(([agencyId, counts]): [Dimension, string, RollupCounts] => ['AGENCY', agencyId, counts]),
  ];
  return PERIODS.flatMap((granularity) =>
    byDimension.map(([dimension, value, counts]) => ({
      granularity,
      period_start: periodStartOf(day, granularity),
      dimension,
      dimension_value: value,
      ...counts,
    })),
  );
}

const rollupKeyOf = (row: RollupKey) => `${row.granularity}|${row.period_start}|${row.dimension}|${row.dimension_value}`;

function addList(target: number[], source: readonly number[], sign: number) {
  for (let i = 0; i < source.length; i++) target[i] = (target[i] ?? 0) + sign * source[i]!;
}

/** Adds `source` (times `sign`) into `target`. */
export function addCounts(target: RollupCounts, source: RollupCounts, sign = 1): RollupCounts {
  for (const counter of SCALAR_COUNTERS) target[counter] += sign * source[counter];
  for (const counter of LIST_COUNTERS) addList(target[counter], source[counter], sign);
  return target;
}

/** Whether counts hold nothing: a group whose trips all moved to another group (an agency took them) leaves such a row. */
export function isZero(counts: RollupCounts): boolean {
  return SCALAR_COUNTERS.every((counter) => counts[counter] === 0) && LIST_COUNTERS.every((counter) => counts[counter].every((n) => n === 0));
}

/** Rollup rows summed by key. */
export type RollupSums = Map<string, RollupRow>;

/** Adds a row (times `sign`) to the sum of its key; the sums hold their own copies, the row stays as it is. */
export function addToSums(sums: RollupSums, row: RollupRow, sign = 1): void {
  const key = rollupKeyOf(row);
  let sum = sums.get(key);
  if (!sum) sums.set(key, (sum = { ...row, ...emptyCounts() }));
  addCounts(sum, row, sign);
}

/**
 * The rows of sums that are not zero, in key order: a change's rows, as a writer that locks several rows should
 * lock them (in one order). A fact's change is its contributions after (+1) and before (−1) summed.
 */
export function changedRows(sums: RollupSums): RollupRow[] {
  return [...sums.entries()]
    .filter(([, row]) => !isZero(row))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
}

export interface Percentiles {
  /** Minutes. */
  p50: number;
  p90: number;
  /** How many trips the percentiles are taken over. */
  count: number;
}

const sum = (list: readonly number[]) => list.reduce((total, n) => total + n, 0);

/** The nearest-rank percentiles of a duration histogram; null when it is empty. */
export function percentilesOf(histogram: readonly number[]): Percentiles | null {
  const count = sum(histogram);
  if (count === 0) return null;
  const at = (share: number) => {
    const rank = Math.max(1, Math.ceil(share * count));
    let seen = 0;
    for (let bin = 0; bin < histogram.length; bin++) {
      seen += histogram[bin] ?? 0;
      if (seen >= rank) return DURATION_BIN_EDGES[Math.min(bin, DURATION_BIN_EDGES.length - 1)]!;
    }
    return DURATION_BIN_EDGES[DURATION_BIN_EDGES.length - 1]!;
  };
  return { p50: at(0.5), p90: at(0.9), count };
}

/** How many durations of a histogram are at most `minutes` long (exact for whole minutes up to 2 hours). */
export function countWithin(histogram: readonly number[], minutes: number): number {
  return histogram.reduce((total, n, bin) => (bin < DURATION_BIN_EDGES.length && DURATION_BIN_EDGES[bin]! <= minutes ? total + n : total), 0);
}

/** Pickups within `window` minutes of their scheduled time, early or late: the bins up to ±window. */
export function countOnTime(deviations: readonly number[], window: number): number {
  const last = 2 * Math.min(window, PICKUP_DEVIATION_LIMIT);
  return deviations.reduce((total, n, bin) => (bin <= last ? total + n : total), 0);
}

export interface KpiSettings {
  acceptToPickupSlaMinutes: number;
  onTimeWindowMinutes: number;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** The KPIs of summed rollup counts. Rates are shares between 0 and 1, null when there is nothing to divide by. */
export function kpisOf(counts: RollupCounts, settings: KpiSettings) {
  const byStatus = TRANSPORT_STATUSES.map((status, i): { status: TransportStatus; count: number } => ({ status, count: counts.status_counts[i] ?? 0 }));
  const statusCount = (status: TransportStatus) => counts.status_counts[TRANSPORT_STATUSES.indexOf(status)] ?? 0;
  const completed = statusCount('COMPLETED');
  const cancelled = statusCount('CANCELLED');
  const expired = statusCount('EXPIRED');
  const acceptToPickup = percentilesOf(counts.accept_to_pickup_minutes);
  const withinSla = countWithin(counts.accept_to_pickup_minutes, settings.acceptToPickupSlaMinutes);
  const scheduledPickups = sum(counts.pickup_deviation_minutes);
  const onTime = countOnTime(counts.pickup_deviation_minutes, settings.onTimeWindowMinutes);
  return {
    tripCount: counts.trips,
    byStatus,
    acceptanceMinutes: percentilesOf(counts.acceptance_minutes),
    offeredTrips: counts.offered_trips,
    acceptedTrips: counts.accepted_trips,
    fillRate: rate(counts.accepted_trips, counts.offered_trips),
    expiredCount: expired,
    offers: counts.offers,
    responses: counts.responses,
    declines: counts.declines,
    // Per trip offered: the same as per trip for the network (every trip is offered), and an agency's own answers
    // per trip offered to it.
    responsesPerTrip: rate(counts.responses, counts.offered_trips),
    declineRate: rate(counts.declines, counts.responses),
    unitResponseMinutes: percentilesOf(counts.unit_response_minutes),
    acceptToPickupMinutes: acceptToPickup,
    withinSlaCount: withinSla,
    withinSlaRate: rate(withinSla, acceptToPickup?.count ?? 0),
    scheduledPickups,
    onTimePickups: onTime,
    onTimePickupRate: rate(onTime, scheduledPickups),
    transportMinutes: percentilesOf(counts.transport_minutes),
    completedCount: completed,
    completionRate: rate(completed, counts.trips),
    cancelledCount: cancelled,
    cancellationRate: rate(cancelled, counts.trips),
    cancellationsByReason: CANCELLATION_REASONS.map((reason, i): { reason: CancellationReason; count: number } => ({ reason, count: counts.cancellations_by_reason[i] ?? 0 })),
    cancellationsByParty: CANCELLATION_PARTIES.map((party, i): { party: CancellationParty; count: number } => ({ party, count: counts.cancellations_by_party[i] ?? 0 })),
  };
}

export type TripKpis = ReturnType<typeof kpisOf>;
