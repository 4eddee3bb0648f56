import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import {
  CancellationPartyEnum,
  CancellationReasonEnum,
  demo,
  enumValues,
  stableId,
  TransportStatusEnum,
  type CancellationParty,
  type CancellationReason,
  type TransportLevel,
  type TransportPriority,
  type TransportStatus,
} from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, postGraphQL, type GraphQLResponse, type TestDatabase } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';
import { rebuildRollupsFromFacts } from '../src/modules/analytics/rollup-rebuild.js';
import {
  consumeFeed,
  deliverEvents,
  fromEms,
  fromHospital,
  redelivered,
  repeated,
  storyEvents,
  tripEventBuilders,
  type TripEvent,
  type TripStory,
} from './support/trip-events.js';

/**
 * The center's analytics, end to end: trips told as the hospital's and the ems feeds' events, applied by the real
 * consumer handlers, read through the center's GraphQL endpoint and its CSV export. Every expected figure is worked
 * out by hand from the trips' minutes. The scenarios lie in 2031 and later, far from the demo data, each in its own
 * month, so that no test sees another's trips. Days are counted in New York time, so that a day in the network's
 * time zone and a UTC day differ.
 */

const TIME_ZONE = 'America/New_York';

let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;
const tokens: Record<string, string> = {};

async function signIn(email: string): Promise<string> {
  const signedIn = await postGraphQL<{ login: { accessToken: string } }>(
    center.url,
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    { email, password: demo.DEMO_PASSWORD },
  );
  expect(signedIn.errors, email).toBeUndefined();
  return signedIn.data!.login.accessToken;
}

const ACCOUNTS = [
  'analyst@center.demo',
  'admin@center.demo',
  'coordinator@hospital-1.demo',
  'coordinator@hospital-2.demo',
  'dispatcher@agency-1.demo',
  'dispatcher@agency-2.demo',
] as const;
const tokenOf = (email: (typeof ACCOUNTS)[number]) => tokens[email]!;

beforeAll(async () => {
  // Read once per process, lazily: it must be set before the seed's rollups and the first event are counted.
  process.env.ANALYTICS_TIME_ZONE = TIME_ZONE;
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config);
  for (const email of ACCOUNTS) tokens[email] = await signIn(email);
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

const HOSPITAL_1 = stableId('hospital-1');
const HOSPITAL_2 = stableId('hospital-2');
const AGENCY_1 = stableId('agency-1');
const AGENCY_2 = stableId('agency-2');
const AGENCY_3 = stableId('agency-3');

// ---------------------------------------------------------------------------------------------------------------
// Reading reports

interface Percentiles {
  p50: number;
  p90: number;
  count: number;
}

interface Kpis {
  tripCount: number;
  byStatus: { status: TransportStatus; count: number }[];
  acceptanceMinutes: Percentiles | null;
  offeredTrips: number;
  acceptedTrips: number;
  fillRate: number | null;
  expiredCount: number;
  offers: number;
  responses: number;
  declines: number;
  responsesPerTrip: number | null;
  declineRate: number | null;
  unitResponseMinutes: Percentiles | null;
  acceptToPickupMinutes: Percentiles | null;
  withinSlaCount: number;
  withinSlaRate: number | null;
  scheduledPickups: number;
  onTimePickups: number;
  onTimePickupRate: number | null;
  transportMinutes: Percentiles | null;
  completedCount: number;
  completionRate: number | null;
  cancelledCount: number;
  cancellationRate: number | null;
  cancellationsByReason: { reason: CancellationReason; count: number }[];
  cancellationsByParty: { party: CancellationParty; count: number }[];
}

interface ReportRow {
  periodStart: string;
  periodEnd: string;
  hospital: { id: string } | null;
  agency: { id: string } | null;
  transportLevel: TransportLevel | null;
  priority: TransportPriority | null;
  kpis: Kpis;
}

interface Report {
  from: string;
  to: string;
  period: string;
  groupBy: string | null;
  timeZone: string;
  acceptToPickupSlaMinutes: number;
  onTimeWindowMinutes: number;
  total: Kpis;
  rows: ReportRow[];
}

type Period = 'DAY' | 'WEEK' | 'MONTH';
type Grouping = 'HOSPITAL' | 'AGENCY' | 'TRANSPORT_LEVEL' | 'PRIORITY';

interface ReportArgs {
  from?: string;
  to?: string;
  period?: Period;
  groupBy?: Grouping;
}

const KPI_FIELDS = `
  tripCount byStatus { status count }
  acceptanceMinutes { p50 p90 count } offeredTrips acceptedTrips fillRate expiredCount
  offers responses declines responsesPerTrip declineRate
  unitResponseMinutes { p50 p90 count } acceptToPickupMinutes { p50 p90 count } withinSlaCount withinSlaRate
  scheduledPickups onTimePickups onTimePickupRate transportMinutes { p50 p90 count }
  completedCount completionRate cancelledCount cancellationRate
  cancellationsByReason { reason count } cancellationsByParty { party count }`;

const REPORT_FIELDS = `
  from to period groupBy timeZone acceptToPickupSlaMinutes onTimeWindowMinutes
  total { ${KPI_FIELDS} }
  rows { periodStart periodEnd hospital { id } agency { id } transportLevel priority kpis { ${KPI_FIELDS} } }`;

const ANALYTICS = `query($from: String, $to: String, $period: AnalyticsPeriod, $groupBy: AnalyticsGrouping) {
  analytics(from: $from, to: $to, period: $period, groupBy: $groupBy) { ${REPORT_FIELDS} }
}`;

const askAnalytics = (args: ReportArgs | Record<string, unknown>, token = tokenOf('analyst@center.demo')) =>
  postGraphQL<{ analytics: Report }>(center.url, ANALYTICS, { ...args }, bearer(token));

async function report(args: ReportArgs): Promise<Report> {
  const response = await askAnalytics(args);
  expect(response.errors, JSON.stringify(args)).toBeUndefined();
  return response.data!.analytics;
}

/** What a row is grouped by: the hospital or agency id, level or priority; null for the network and for trips no agency took. */
const groupOf = (row: ReportRow) => row.hospital?.id ?? row.agency?.id ?? row.transportLevel ?? row.priority ?? null;

const firstError = (response: GraphQLResponse<unknown>) => {
  expect(response.errors, 'an error').toBeDefined();
  return { code: response.errors![0]!.extensions?.code, field: response.errors![0]!.extensions?.field };
};

// ---------------------------------------------------------------------------------------------------------------
// Expected figures

const STATUSES = enumValues(TransportStatusEnum);
const REASONS = enumValues(CancellationReasonEnum);
const PARTIES = enumValues(CancellationPartyEnum);

const everyStatus = (counts: Partial<Record<TransportStatus, number>> = {}) => STATUSES.map((status) => ({ status, count: counts[status] ?? 0 }));
const everyReason = (counts: Partial<Record<CancellationReason, number>> = {}) => REASONS.map((reason) => ({ reason, count: counts[reason] ?? 0 }));
const everyParty = (counts: Partial<Record<CancellationParty, number>> = {}) => PARTIES.map((party) => ({ party, count: counts[party] ?? 0 }));
const minutes = (p50: number, p90: number, count: number): Percentiles => ({ p50, p90, count });

/** The KPIs of no trips at all: counts 0, rates and percentiles null, every status, reason and party listed. */
const NO_TRIPS: Kpis = {
  tripCount: 0,
  byStatus: everyStatus(),
  acceptanceMinutes: null,
  offeredTrips: 0,
  acceptedTrips: 0,
  fillRate: null,
  expiredCount: 0,
  offers: 0,
  responses: 0,
  declines: 0,
  responsesPerTrip: null,
  declineRate: null,
  unitResponseMinutes: null,
  acceptToPickupMinutes: null,
  withinSlaCount: 0,
  withinSlaRate: null,
  scheduledPickups: 0,
  onTimePickups: 0,
  onTimePickupRate: null,
  transportMinutes: null,
  completedCount: 0,
  completionRate: null,
  cancelledCount: 0,
  cancellationRate: null,
  cancellationsByReason: everyReason(),
  cancellationsByParty: everyParty(),
};

// ---------------------------------------------------------------------------------------------------------------
// Delivering trips

const deliver = (definition: typeof fromHospital, ...events: TripEvent[]) => deliverEvents(center.database.db, definition, ...events);

/** Each trip's events as they happened: the hospital's, then the ems silo's. */
async function deliverStories(stories: readonly TripStory[]): Promise<void> {
  for (const story of stories) {
    const { hospital, ems } = storyEvents(randomUUID(), story);
    await deliver(fromHospital, ...hospital);
    await deliver(fromEms, ...ems);
  }
}

const DAY_MS = 86_400_000;
/** 14:00 UTC, 10:00 in New York in summer and 09:00 in winter: the same day in both. */
const dayAt = (firstDay: string, offset: number) => new Date(new Date(`${firstDay}T14:00:00.000Z`).getTime() + offset * DAY_MS);
const dayText = (firstDay: string, offset: number) => dayAt(firstDay, offset).toISOString().slice(0, 10);

/**
 * Ten trips, one a day from `firstDay` (T1 on the first day … T10 on the tenth), minutes after each request. By hand:
 *
 * | trip | hospital | level | priority  | offered to | answers (min)          | taken by | acceptance | unit resp. | accept → pickup | transport | pickup vs scheduled | end |
 * | T1   | H1 | ALS   | ROUTINE  | A1         | A1 ✓ 2                 | A1 | 2  | 62−5=57  | 60 (= SLA)  | 30 | 15 late (in)  | COMPLETED |
 * | T2   | H1 | ALS   | URGENT   | A1, A2     | A2 ✗ 3, A1 ✓ 4         | A1 | 4  | 65−7=58  | 61          | 40 | 16 late (out) | COMPLETED |
 * | T3   | H1 | BLS   | ROUTINE  | A2         | A2 ✓ 6                 | A2 | 6  | 26−9=17  | 20          | 25 | 15 early (in) | COMPLETED |
 * | T4   | H1 | BLS   | EMERGENT | A2, A3     | A3 ✗ 5, A2 ✓ 8         | A2 | 8  | 38−11=27 | 30          | 50 | 16 early (out)| COMPLETED |
 * | T5   | H2 | CCT   | ROUTINE  | A3         | A3 ✓ 10                | A3 | 10 | 55−13=42 | 45          | 90 | none scheduled| COMPLETED |
 * | T6   | H2 | ALS   | URGENT   | A1         | A1 ✓ 12                | A1 | 12 |          |             |    |               | CANCELLED hospital, PATIENT_DISCHARGED |
 * | T7   | H2 | BLS   | ROUTINE  | A1         | A1 ✓ 15                | A1 | 15 |          |             |    |               | CANCELLED ems, DESTINATION_UNAVAILABLE |
 * | T8   | H2 | BLS   | URGENT   | A3         | A3 ✓ 20                | A3 | 20 | 45−23=22 | 25          |    | on the minute | AT_PICKUP |
 * | T9   | H1 | CCT   | EMERGENT | A1, A2, A3 | A1 ✗ 3, A2 ✗ 4         | —  |    |          |             |    |               | EXPIRED |
 * | T10  | H1 | WHEELCHAIR_VAN | ROUTINE | nobody ([]) |                  | —  |    |          |             |    |               | CANCELLED hospital, DUPLICATE_REQUEST |
 */
function tenTrips(firstDay: string): TripStory[] {
  const day = (n: number) => dayAt(firstDay, n - 1);
  const completed = (accepted: number, pickup: number, pickedUp: number, destination: number): [TransportStatus, number][] => [
    ['ACCEPTED', accepted],
    ['ASSIGNED', accepted + 3],
    ['EN_ROUTE', accepted + 4],
    ['AT_PICKUP', pickup],
    ['TRANSPORTING', pickedUp],
    ['AT_DESTINATION', destination],
    ['COMPLETED', destination + 5],
  ];
  return [
    {
      hospitalId: HOSPITAL_1, requestedAt: day(1), transportLevel: 'ALS', priority: 'ROUTINE', scheduledPickup: 47,
      offeredTo: [AGENCY_1], responses: [[AGENCY_1, 'ACCEPTED', 2]], agencyId: AGENCY_1, statuses: completed(2, 62, 70, 100),
    },
    {
      hospitalId: HOSPITAL_1, requestedAt: day(2), transportLevel: 'ALS', priority: 'URGENT', scheduledPickup: 49,
      offeredTo: [AGENCY_1, AGENCY_2], responses: [[AGENCY_2, 'DECLINED', 3], [AGENCY_1, 'ACCEPTED', 4]], agencyId: AGENCY_1,
      statuses: completed(4, 65, 75, 115),
    },
    {
      hospitalId: HOSPITAL_1, requestedAt: day(3), transportLevel: 'BLS', priority: 'ROUTINE', scheduledPickup: 41,
      offeredTo: [AGENCY_2], responses: [[AGENCY_2, 'ACCEPTED', 6]], agencyId: AGENCY_2, statuses: completed(6, 26, 30, 55),
    },
    {
      hospitalId: HOSPITAL_1, requestedAt: day(4), transportLevel: 'BLS', priority: 'EMERGENT', scheduledPickup: 54,
      offeredTo: [AGENCY_2, AGENCY_3], responses: [[AGENCY_3, 'DECLINED', 5], [AGENCY_2, 'ACCEPTED', 8]], agencyId: AGENCY_2,
      statuses: completed(8, 38, 40, 90),
    },
    {
      hospitalId: HOSPITAL_2, requestedAt: day(5), transportLevel: 'CCT', priority: 'ROUTINE', scheduledPickup: null,
      offeredTo: [AGENCY_3], responses: [[AGENCY_3, 'ACCEPTED', 10]], agencyId: AGENCY_3, statuses: completed(10, 55, 60, 150),
    },
    {
      hospitalId: HOSPITAL_2, requestedAt: day(6), transportLevel: 'ALS', priority: 'URGENT', scheduledPickup: 90,
      offeredTo: [AGENCY_1], responses: [[AGENCY_1, 'ACCEPTED', 12]], agencyId: AGENCY_1,
      statuses: [['ACCEPTED', 12], ['CANCELLED', 20]], cancellation: { reason: 'PATIENT_DISCHARGED', party: 'HOSPITAL' },
    },
    {
      hospitalId: HOSPITAL_2, requestedAt: day(7), transportLevel: 'BLS', priority: 'ROUTINE', scheduledPickup: 100,
      offeredTo: [AGENCY_1], responses: [[AGENCY_1, 'ACCEPTED', 15]], agencyId: AGENCY_1,
      statuses: [['ACCEPTED', 15], ['ASSIGNED', 18], ['EN_ROUTE', 20], ['CANCELLED', 30]],
      cancellation: { reason: 'DESTINATION_UNAVAILABLE', party: 'EMS' },
    },
    {
      hospitalId: HOSPITAL_2, requestedAt: day(8), transportLevel: 'BLS', priority: 'URGENT', scheduledPickup: 45,
      offeredTo: [AGENCY_3], responses: [[AGENCY_3, 'ACCEPTED', 20]], agencyId: AGENCY_3,
      statuses: [['ACCEPTED', 20], ['ASSIGNED', 23], ['EN_ROUTE', 24], ['AT_PICKUP', 45]],
    },
    {
      hospitalId: HOSPITAL_1, requestedAt: day(9), transportLevel: 'CCT', priority: 'EMERGENT', scheduledPickup: 120,
      offeredTo: [AGENCY_1, AGENCY_2, AGENCY_3], responses: [[AGENCY_1, 'DECLINED', 3], [AGENCY_2, 'DECLINED', 4]], agencyId: null,
      statuses: [['EXPIRED', 60]],
    },
    {
      hospitalId: HOSPITAL_1, requestedAt: day(10), transportLevel: 'WHEELCHAIR_VAN', priority: 'ROUTINE', scheduledPickup: null,
      offeredTo: [], agencyId: null, statuses: [['CANCELLED', 5]], cancellation: { reason: 'DUPLICATE_REQUEST', party: 'HOSPITAL' },
    },
  ];
}

/** The network's KPIs of the ten trips, worked out from the table above. */
const TEN_TRIPS_TOTAL: Kpis = {
  tripCount: 10,
  byStatus: everyStatus({ AT_PICKUP: 1, COMPLETED: 5, CANCELLED: 3, EXPIRED: 1 }),
  // 2, 4, 6, 8, 10, 12, 15, 20: p50 is the 4th of 8 (8), p90 the ⌈7.2⌉ = 8th (20).
  acceptanceMinutes: minutes(8, 20, 8),
  // T1–T9 were offered to an agency (T10 to nobody); T1–T8 were accepted; T9 expired.
  offeredTrips: 9,
  acceptedTrips: 8,
  fillRate: 8 / 9,
  expiredCount: 1,
  // Offers 1+2+1+2+1+1+1+1+3+0, answers 1+2+1+2+1+1+1+1+2+0, declines T2, T4 and two of T9.
  offers: 13,
  responses: 12,
  declines: 4,
  // Per trip offered: 12 answers to the 9 offered trips.
  responsesPerTrip: 12 / 9,
  declineRate: 4 / 12,
  // 17, 22, 27, 42, 57, 58: p50 the 3rd (27), p90 the ⌈5.4⌉ = 6th (58).
  unitResponseMinutes: minutes(27, 58, 6),
  // 20, 25, 30, 45, 60, 61: p50 the 3rd (30), p90 the 6th (61); all but 61 within 60.
  acceptToPickupMinutes: minutes(30, 61, 6),
  withinSlaCount: 5,
  withinSlaRate: 5 / 6,
  // T1 (+15), T2 (+16), T3 (−15), T4 (−16), T8 (0) reached a scheduled pickup; T1, T3, T8 within 15 minutes.
  scheduledPickups: 5,
  onTimePickups: 3,
  onTimePickupRate: 3 / 5,
  // 25, 30, 40, 50, 90: p50 the 3rd (40), p90 the ⌈4.5⌉ = 5th (90).
  transportMinutes: minutes(40, 90, 5),
  completedCount: 5,
  completionRate: 5 / 10,
  cancelledCount: 3,
  cancellationRate: 3 / 10,
  cancellationsByReason: everyReason({ PATIENT_DISCHARGED: 1, DESTINATION_UNAVAILABLE: 1, DUPLICATE_REQUEST: 1 }),
  cancellationsByParty: everyParty({ HOSPITAL: 2, EMS: 1 }),
};

/** A report without its dates, to compare the same trips told in different months. */
const figuresOf = (result: Report) => ({ total: result.total, rows: result.rows.map(({ periodStart: _, periodEnd: __, ...row }) => row) });

// ---------------------------------------------------------------------------------------------------------------

describe('a range without trips', () => {
  it('has one row per period with every count 0, every rate and percentile null, and every status listed', async () => {
    const result = await report({ from: '2033-01-01', to: '2033-03-31', period: 'MONTH' });
    expect(result).toMatchObject({ from: '2033-01-01', to: '2033-03-31', period: 'MONTH', groupBy: null, timeZone: TIME_ZONE });
    expect(result.total).toEqual(NO_TRIPS);
    expect(result.rows).toEqual([
      { periodStart: '2033-01-01', periodEnd: '2033-01-31', hospital: null, agency: null, transportLevel: null, priority: null, kpis: NO_TRIPS },
      { periodStart: '2033-02-01', periodEnd: '2033-02-28', hospital: null, agency: null, transportLevel: null, priority: null, kpis: NO_TRIPS },
      { periodStart: '2033-03-01', periodEnd: '2033-03-31', hospital: null, agency: null, transportLevel: null, priority: null, kpis: NO_TRIPS },
    ]);
  });

  it('has no rows when grouped, as no group has trips', async () => {
    const result = await report({ from: '2033-01-01', to: '2033-03-31', period: 'MONTH', groupBy: 'HOSPITAL' });
    expect(result.rows).toEqual([]);
    expect(result.total).toEqual(NO_TRIPS);
  });
});

describe('a single completed trip', () => {
  // Requested on 2031-07-15 at 11:00 in New York; minutes after the request: offered 1, accepted 7, unit assigned 10,
  // at the pickup 40 (scheduled for 45), patient on board 50, at the destination 95, completed 100.
  const story: TripStory = {
    hospitalId: HOSPITAL_1,
    requestedAt: new Date('2031-07-15T15:00:00.000Z'),
    transportLevel: 'ALS',
    priority: 'ROUTINE',
    scheduledPickup: 45,
    offeredTo: [AGENCY_1],
    responses: [[AGENCY_1, 'ACCEPTED', 7]],
    agencyId: AGENCY_1,
    statuses: [
      ['ACCEPTED', 7],
      ['ASSIGNED', 10],
      ['EN_ROUTE', 12],
      ['AT_PICKUP', 40],
      ['TRANSPORTING', 50],
      ['AT_DESTINATION', 95],
      ['COMPLETED', 100],
    ],
  };
  const expected: Kpis = {
    tripCount: 1,
    byStatus: everyStatus({ COMPLETED: 1 }),
    acceptanceMinutes: minutes(7, 7, 1),
    offeredTrips: 1,
    acceptedTrips: 1,
    fillRate: 1,
    expiredCount: 0,
    offers: 1,
    responses: 1,
    declines: 0,
    responsesPerTrip: 1,
    declineRate: 0,
    unitResponseMinutes: minutes(30, 30, 1),
    acceptToPickupMinutes: minutes(33, 33, 1),
    withinSlaCount: 1,
    withinSlaRate: 1,
    scheduledPickups: 1,
    onTimePickups: 1,
    onTimePickupRate: 1,
    transportMinutes: minutes(45, 45, 1),
    completedCount: 1,
    completionRate: 1,
    cancelledCount: 0,
    cancellationRate: 0,
    cancellationsByReason: everyReason(),
    cancellationsByParty: everyParty(),
  };

  beforeAll(() => deliverStories([story]));

  it('reports each duration at its minute, a full fill and completion, within the SLA and on time', async () => {
    const result = await report({ from: '2031-07-01', to: '2031-07-31', period: 'MONTH' });
    expect(result.total).toEqual(expected);
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ periodStart: '2031-07-01', periodEnd: '2031-07-31', kpis: expected });
  });

  it('counts it on its own day only', async () => {
    const result = await report({ from: '2031-07-14', to: '2031-07-16', period: 'DAY' });
    expect(result.rows.map((row) => [row.periodStart, row.periodEnd, row.kpis])).toEqual([
      ['2031-07-14', '2031-07-14', NO_TRIPS],
      ['2031-07-15', '2031-07-15', expected],
      ['2031-07-16', '2031-07-16', NO_TRIPS],
    ]);
  });
});

describe('ten trips of August 2031', () => {
  // T1 on Monday 2031-08-04 … T10 on Wednesday 2031-08-13.
  const FIRST_DAY = '2031-08-04';
  const AUGUST = { from: '2031-08-01', to: '2031-08-31' } as const;

  beforeAll(() => deliverStories(tenTrips(FIRST_DAY)));

  it('sums the month: nearest-rank percentiles, fill rate with the expired trip, cancellations by reason and party, answers and declines', async () => {
    const result = await report({ ...AUGUST, period: 'MONTH' });
    expect(result.total).toEqual(TEN_TRIPS_TOTAL);
    expect(result.rows.map((row) => [row.periodStart, row.periodEnd, row.kpis])).toEqual([['2031-08-01', '2031-08-31', TEN_TRIPS_TOTAL]]);
  });

  it('counts offers, answers and declines for each agency offered, and trips for the agency that took them', async () => {
    const result = await report({ ...AUGUST, period: 'MONTH', groupBy: 'AGENCY' });
    // A grouped report's total is the network's: an offer counts once, not once per agency row.
    expect(result.total).toEqual(TEN_TRIPS_TOTAL);
    expect(result.groupBy).toBe('AGENCY');
    // Trips no agency took come first (their group is ''), then agencies in id order.
    expect(result.rows.map(groupOf)).toEqual([null, ...[AGENCY_1, AGENCY_2, AGENCY_3].sort()]);
    const rowOf = (agency: string | null) => result.rows.find((row) => (row.agency?.id ?? null) === agency)!.kpis;
    // A1 took T1, T2, T6, T7 (accepted after 2, 4, 12, 15 minutes) and was offered those and T9, which it declined:
    // it accepted 4 of the 5 trips offered to it and answered every one.
    expect(rowOf(AGENCY_1)).toMatchObject({
      tripCount: 4,
      byStatus: everyStatus({ COMPLETED: 2, CANCELLED: 2 }),
      acceptanceMinutes: minutes(4, 15, 4),
      offeredTrips: 5,
      acceptedTrips: 4,
      fillRate: 4 / 5,
      responsesPerTrip: 1,
      offers: 5,
      responses: 5,
      declines: 1,
      declineRate: 1 / 5,
    });
    // A2 took T3, T4; offered T2 (declined), T3, T4, T9 (declined).
    expect(rowOf(AGENCY_2)).toMatchObject({
      tripCount: 2,
      completedCount: 2,
      offeredTrips: 4,
      acceptedTrips: 2,
      fillRate: 2 / 4,
      offers: 4,
      responses: 4,
      declines: 2,
      declineRate: 2 / 4,
    });
    // A3 took T5, T8; offered T4 (declined), T5, T8, T9 (no answer).
    expect(rowOf(AGENCY_3)).toMatchObject({
      tripCount: 2,
      byStatus: everyStatus({ COMPLETED: 1, AT_PICKUP: 1 }),
      offeredTrips: 4,
      acceptedTrips: 2,
      fillRate: 2 / 4,
      responsesPerTrip: 3 / 4,
      offers: 4,
      responses: 3,
      declines: 1,
      declineRate: 1 / 3,
    });
    // Nobody took T9 (expired) and T10 (cancelled, never offered); offers are counted on the agencies' rows.
    expect(rowOf(null)).toMatchObject({
      tripCount: 2,
      byStatus: everyStatus({ EXPIRED: 1, CANCELLED: 1 }),
      offeredTrips: 0,
      acceptedTrips: 0,
      fillRate: null,
      expiredCount: 1,
      offers: 0,
      responses: 0,
      declines: 0,
      declineRate: null,
    });
  });

  it('splits the trips by hospital, transport level and priority', async () => {
    const byHospital = await report({ ...AUGUST, period: 'MONTH', groupBy: 'HOSPITAL' });
    expect(byHospital.total).toEqual(TEN_TRIPS_TOTAL);
    expect(byHospital.rows.map((row) => [groupOf(row), row.kpis.tripCount, row.kpis.byStatus])).toEqual(
      [
        [HOSPITAL_1, 6, everyStatus({ COMPLETED: 4, EXPIRED: 1, CANCELLED: 1 })],
        [HOSPITAL_2, 4, everyStatus({ COMPLETED: 1, CANCELLED: 2, AT_PICKUP: 1 })],
      ].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
    );

    const byLevel = await report({ ...AUGUST, period: 'MONTH', groupBy: 'TRANSPORT_LEVEL' });
    expect(byLevel.rows.map((row) => [row.transportLevel, row.kpis.tripCount])).toEqual([
      ['ALS', 3],
      ['BLS', 4],
      ['CCT', 2],
      ['WHEELCHAIR_VAN', 1],
    ]);

    const byPriority = await report({ ...AUGUST, period: 'MONTH', groupBy: 'PRIORITY' });
    expect(byPriority.rows.map((row) => [row.priority, row.kpis.tripCount])).toEqual([
      ['EMERGENT', 2],
      ['ROUTINE', 5],
      ['URGENT', 3],
    ]);
    // A level's row holds its own trips' figures: the two CCT trips are T5 (completed, transport 90) and T9 (expired).
    expect(byLevel.rows[2]!.kpis).toMatchObject({ completedCount: 1, expiredCount: 1, transportMinutes: minutes(90, 90, 1), fillRate: 1 / 2 });
  });

  it('counts an accept → pickup of exactly the SLA as within it and one minute more as not', async () => {
    const result = await report({ from: dayText(FIRST_DAY, 0), to: dayText(FIRST_DAY, 1), period: 'DAY' });
    expect(result.acceptToPickupSlaMinutes).toBe(60);
    expect(result.rows.map((row) => [row.kpis.acceptToPickupMinutes, row.kpis.withinSlaCount, row.kpis.withinSlaRate])).toEqual([
      [minutes(60, 60, 1), 1, 1],
      [minutes(61, 61, 1), 0, 0],
    ]);
  });

  it('counts a pickup up to the on-time window early or late as on time and one minute beyond as not', async () => {
    const result = await report({ from: dayText(FIRST_DAY, 0), to: dayText(FIRST_DAY, 3), period: 'DAY' });
    expect(result.onTimeWindowMinutes).toBe(15);
    // T1 15 minutes late, T2 16 late, T3 15 early, T4 16 early.
    expect(result.rows.map((row) => [row.kpis.scheduledPickups, row.kpis.onTimePickups])).toEqual([
      [1, 1],
      [1, 0],
      [1, 1],
      [1, 0],
    ]);
  });

  it('has a row per week from Monday, the first and last cut to the range', async () => {
    const result = await report({ ...AUGUST, period: 'WEEK' });
    expect(result.rows.map((row) => [row.periodStart, row.periodEnd, row.kpis.tripCount])).toEqual([
      ['2031-08-01', '2031-08-03', 0],
      ['2031-08-04', '2031-08-10', 7],
      ['2031-08-11', '2031-08-17', 3],
      ['2031-08-18', '2031-08-24', 0],
      ['2031-08-25', '2031-08-31', 0],
    ]);
    expect(result.total).toEqual(TEN_TRIPS_TOTAL);
  });

  it('has a row only for the groups with trips in each period', async () => {
    // T1 was counted for no agency while it waited for one, then for A1: on its day, only A1 has a trip.
    const result = await report({ from: dayText(FIRST_DAY, 0), to: dayText(FIRST_DAY, 0), period: 'DAY', groupBy: 'AGENCY' });
    expect(result.rows.map((row) => [groupOf(row), row.kpis.tripCount])).toEqual([[AGENCY_1, 1]]);
  });

  it('applies a changed SLA and on-time window to the trips already counted', async () => {
    const setSetting = async (key: string, value: number) => {
      const response = await postGraphQL(
        center.url,
        `mutation($key: String!, $value: String!) { updateSystemSetting(key: $key, value: $value) { key value } }`,
        { key, value: String(value) },
        bearer(tokenOf('admin@center.demo')),
      );
      expect(response.errors).toBeUndefined();
    };
    const slaFigures = async () => {
      const { acceptToPickupSlaMinutes, onTimeWindowMinutes, total } = await report({ ...AUGUST, period: 'MONTH' });
      return [acceptToPickupSlaMinutes, total.withinSlaCount, total.withinSlaRate, onTimeWindowMinutes, total.onTimePickups, total.onTimePickupRate];
    };
    try {
      await setSetting('sla.acceptToPickupMinutes', 30);
      await setSetting('sla.onTimeWindowMinutes', 16);
      // Accept → pickup 20, 25, 30 of 20, 25, 30, 45, 60, 61; pickups 15 and 16 minutes early or late, and 0.
      expect(await slaFigures()).toEqual([30, 3, 3 / 6, 16, 5, 5 / 5]);

      await setSetting('sla.acceptToPickupMinutes', 61);
      await setSetting('sla.onTimeWindowMinutes', 14);
      expect(await slaFigures()).toEqual([61, 6, 6 / 6, 14, 1, 1 / 5]);
    } finally {
      await setSetting('sla.acceptToPickupMinutes', 60);
      await setSetting('sla.onTimeWindowMinutes', 15);
    }
    expect(await slaFigures()).toEqual([60, 5, 5 / 6, 15, 3, 3 / 5]);
  });

  describe('Hospital.activity and Agency.performance', () => {
    const ACTIVITY = `query($id: ID!) { hospital(id: $id) { activity(from: "2031-08-01", to: "2031-08-31") { groupBy total { tripCount completedCount } rows { periodStart kpis { tripCount } } } } }`;
    const ACTIVITY_ENTITY = `query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Hospital { activity(from: "2031-08-01", to: "2031-08-31") { total { tripCount } } } }
    }`;
    const PERFORMANCE = `query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Agency { performance(from: "2031-08-01", to: "2031-08-31", period: MONTH) { total { tripCount offers responses declines declineRate } } }
      }
    }`;

    it("lets a hospital's coordinator read its own activity and forbids another hospital's", async () => {
      const own = await postGraphQL<{ hospital: { activity: { groupBy: null; total: Kpis; rows: ReportRow[] } } }>(
        center.url,
        ACTIVITY,
        { id: HOSPITAL_1 },
        bearer(tokenOf('coordinator@hospital-1.demo')),
      );
      expect(own.errors).toBeUndefined();
      // H1 requested T1–T4, T9 and T10; T1–T4 were completed.
      expect(own.data!.hospital.activity).toEqual({ groupBy: null, total: { tripCount: 6, completedCount: 4 }, rows: [{ periodStart: '2031-08-01', kpis: { tripCount: 6 } }] });

      const viaEntities = await postGraphQL<{ _entities: { activity: { total: { tripCount: number } } }[] }>(
        center.url,
        ACTIVITY_ENTITY,
        { representations: [{ __typename: 'Hospital', id: HOSPITAL_1 }] },
        bearer(tokenOf('coordinator@hospital-1.demo')),
      );
      expect(viaEntities.errors).toBeUndefined();
      expect(viaEntities.data!._entities).toEqual([{ activity: { total: { tripCount: 6 } } }]);

      const other = await postGraphQL(center.url, ACTIVITY, { id: HOSPITAL_1 }, bearer(tokenOf('coordinator@hospital-2.demo')));
      expect(firstError(other).code).toBe('FORBIDDEN');
      const otherViaEntities = await postGraphQL(
        center.url,
        ACTIVITY_ENTITY,
        { representations: [{ __typename: 'Hospital', id: HOSPITAL_1 }] },
        bearer(tokenOf('coordinator@hospital-2.demo')),
      );
      expect(firstError(otherViaEntities).code).toBe('FORBIDDEN');
    });

    it("lets an agency's dispatcher read its own performance and forbids another agency's", async () => {
      const representations = [{ __typename: 'Agency', id: AGENCY_1 }];
      const own = await postGraphQL<{ _entities: { performance: { total: Partial<Kpis> } }[] }>(
        center.url,
        PERFORMANCE,
        { representations },
        bearer(tokenOf('dispatcher@agency-1.demo')),
      );
      expect(own.errors).toBeUndefined();
      expect(own.data!._entities).toEqual([{ performance: { total: { tripCount: 4, offers: 5, responses: 5, declines: 1, declineRate: 1 / 5 } } }]);

      const other = await postGraphQL(center.url, PERFORMANCE, { representations }, bearer(tokenOf('dispatcher@agency-2.demo')));
      expect(firstError(other).code).toBe('FORBIDDEN');
    });
  });

  describe('GET /analytics.csv', () => {
    const csvUrl = (query: Record<string, string>) => {
      const url = new URL('/analytics.csv', center.url);
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      return url;
    };
    const AGENCY_MONTH = { ...AUGUST, period: 'MONTH', groupBy: 'AGENCY' } as const;

    /** The columns as documented, each with the figure of a GraphQL row it holds. */
    const COLUMNS: [string, (row: ReportRow) => string | number | null][] = [
      ['period_start', (row) => row.periodStart],
      ['period_end', (row) => row.periodEnd],
      ['group_by', () => 'AGENCY'],
      ['group_value', (row) => row.agency?.id ?? ''],
      ['trips', (row) => row.kpis.tripCount],
      ...STATUSES.map((status, i): [string, (row: ReportRow) => number] => [`status_${status.toLowerCase()}`, (row) => row.kpis.byStatus[i]!.count]),
      ['acceptance_p50_minutes', (row) => row.kpis.acceptanceMinutes?.p50 ?? null],
      ['acceptance_p90_minutes', (row) => row.kpis.acceptanceMinutes?.p90 ?? null],
      ['offered_trips', (row) => row.kpis.offeredTrips],
      ['accepted_trips', (row) => row.kpis.acceptedTrips],
      ['fill_rate', (row) => row.kpis.fillRate],
      ['expired', (row) => row.kpis.expiredCount],
      ['offers', (row) => row.kpis.offers],
      ['responses', (row) => row.kpis.responses],
      ['declines', (row) => row.kpis.declines],
      ['responses_per_trip', (row) => row.kpis.responsesPerTrip],
      ['decline_rate', (row) => row.kpis.declineRate],
      ['unit_response_p50_minutes', (row) => row.kpis.unitResponseMinutes?.p50 ?? null],
      ['unit_response_p90_minutes', (row) => row.kpis.unitResponseMinutes?.p90 ?? null],
      ['accept_to_pickup_p50_minutes', (row) => row.kpis.acceptToPickupMinutes?.p50 ?? null],
      ['accept_to_pickup_p90_minutes', (row) => row.kpis.acceptToPickupMinutes?.p90 ?? null],
      ['within_sla', (row) => row.kpis.withinSlaCount],
      ['within_sla_rate', (row) => row.kpis.withinSlaRate],
      ['scheduled_pickups', (row) => row.kpis.scheduledPickups],
      ['on_time_pickups', (row) => row.kpis.onTimePickups],
      ['on_time_pickup_rate', (row) => row.kpis.onTimePickupRate],
      ['transport_p50_minutes', (row) => row.kpis.transportMinutes?.p50 ?? null],
      ['transport_p90_minutes', (row) => row.kpis.transportMinutes?.p90 ?? null],
      ['completed', (row) => row.kpis.completedCount],
      ['completion_rate', (row) => row.kpis.completionRate],
      ['cancelled', (row) => row.kpis.cancelledCount],
      ['cancellation_rate', (row) => row.kpis.cancellationRate],
      ...REASONS.map((reason, i): [string, (row: ReportRow) => number] => [`cancelled_${reason.toLowerCase()}`, (row) => row.kpis.cancellationsByReason[i]!.count]),
      ...PARTIES.map((party, i): [string, (row: ReportRow) => number] => [`cancelled_by_${party.toLowerCase()}`, (row) => row.kpis.cancellationsByParty[i]!.count]),
    ];

    it("serves the report's rows as CSV, with the same figures as GraphQL", async () => {
      const response = await fetch(csvUrl(AGENCY_MONTH), { headers: bearer(tokenOf('analyst@center.demo')) });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      const text = await response.text();
      expect(text.endsWith('\r\n')).toBe(true);
      const [header, ...lines] = text.slice(0, -2).split('\r\n').map((line) => line.split(','));
      expect(header).toEqual(COLUMNS.map(([name]) => name));

      const graphql = await report(AGENCY_MONTH);
      expect(lines).toHaveLength(graphql.rows.length);
      expect(lines).toEqual(graphql.rows.map((row) => COLUMNS.map(([, read]) => String(read(row) ?? ''))));
      // Spot checks against the hand-worked figures: A1's offers and declines, the row of trips no agency took.
      const cell = (line: string[], name: string) => line[header!.indexOf(name)];
      const a1 = lines.find((line) => cell(line, 'group_value') === AGENCY_1)!;
      expect([cell(a1, 'trips'), cell(a1, 'offers'), cell(a1, 'declines'), cell(a1, 'decline_rate')]).toEqual(['4', '5', '1', '0.2']);
      const none = lines.find((line) => cell(line, 'group_value') === '')!;
      expect([cell(none, 'trips'), cell(none, 'expired'), cell(none, 'decline_rate'), cell(none, 'acceptance_p50_minutes')]).toEqual(['2', '1', '', '']);
    });

    it('answers 401 without a token and 403 to a hospital coordinator', async () => {
      const anonymous = await fetch(csvUrl(AGENCY_MONTH));
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');

      const coordinator = await fetch(csvUrl(AGENCY_MONTH), { headers: bearer(tokenOf('coordinator@hospital-1.demo')) });
      expect(coordinator.status).toBe(403);
      expect(((await coordinator.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    });

    it('answers 400 with BAD_USER_INPUT and the field for bad arguments', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ from: '2031-08-31', to: '2031-08-01' }, 'from'],
        [{ from: '2031-02-30', to: '2031-03-31' }, 'from'],
        // Without an end the report ends today, before this start.
        [{ from: '2031-08-01' }, 'from'],
        [{ ...AUGUST, period: 'YEAR' }, 'period'],
        [{ ...AUGUST, groupBy: 'UNIT' }, 'groupBy'],
      ];
      for (const [query, field] of cases) {
        const response = await fetch(csvUrl(query), { headers: bearer(tokenOf('analyst@center.demo')) });
        expect(response.status, JSON.stringify(query)).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await response.json()) as { errors: { extensions: { code: string; field?: string } }[] };
        expect(body.errors[0]!.extensions, JSON.stringify(query)).toEqual({ code: 'BAD_USER_INPUT', field });
      }
    });
  });
});

describe('a trip that changed group', () => {
  // September 2031 holds this trip only: requested ALS, then planned CCT.
  it('has no row for a level a trip left when its plan changed', async () => {
    const tripId = randomUUID();
    const { hospital } = storyEvents(tripId, {
      hospitalId: HOSPITAL_2,
      requestedAt: new Date('2031-09-10T14:00:00.000Z'),
      transportLevel: 'ALS',
      priority: 'URGENT',
      scheduledPickup: null,
      agencyId: null,
      statuses: [],
    });
    const { planChanged } = tripEventBuilders({ hospitalId: HOSPITAL_2, agencyId: AGENCY_1, requestedAt: new Date('2031-09-10T14:00:00.000Z') });
    await deliver(fromHospital, ...hospital);
    await deliver(fromHospital, planChanged(tripId, 2, { transportLevel: 'CCT', priority: 'URGENT', scheduledPickupAt: null }));
    const result = await report({ from: '2031-09-01', to: '2031-09-30', period: 'MONTH', groupBy: 'TRANSPORT_LEVEL' });
    expect(result.rows.map((row) => [row.transportLevel, row.kpis.tripCount])).toEqual([['CCT', 1]]);
  });
});

describe('days in the network time zone', () => {
  // Midnight in New York is 05:00 UTC until 2031-03-09, when daylight saving time starts.
  beforeAll(() =>
    deliverStories(
      [
        '2031-02-10T15:00:00.000Z', // Monday 2031-02-10, 10:00
        '2031-03-01T04:30:00.000Z', // Friday 2031-02-28, 23:30
        '2031-03-01T05:30:00.000Z', // Saturday 2031-03-01, 00:30
        '2031-03-03T04:59:00.000Z', // Sunday 2031-03-02, 23:59
        '2031-03-03T05:00:00.000Z', // Monday 2031-03-03, 00:00
      ].map((requestedAt): TripStory => ({
        hospitalId: HOSPITAL_1,
        requestedAt: new Date(requestedAt),
        transportLevel: 'BLS',
        priority: 'ROUTINE',
        scheduledPickup: null,
        agencyId: null,
        statuses: [],
      })),
    ),
  );

  const tripsPerRow = (result: Report) => result.rows.map((row) => [row.periodStart, row.periodEnd, row.kpis.tripCount]);

  it('counts a trip on the local day it was requested, by day and by month', async () => {
    const byDay = await report({ from: '2031-02-27', to: '2031-03-03', period: 'DAY' });
    expect(byDay.timeZone).toBe(TIME_ZONE);
    expect(tripsPerRow(byDay)).toEqual([
      ['2031-02-27', '2031-02-27', 0],
      ['2031-02-28', '2031-02-28', 1],
      ['2031-03-01', '2031-03-01', 1],
      ['2031-03-02', '2031-03-02', 1],
      ['2031-03-03', '2031-03-03', 1],
    ]);
    const byMonth = await report({ from: '2031-02-01', to: '2031-03-31', period: 'MONTH' });
    expect(tripsPerRow(byMonth)).toEqual([
      ['2031-02-01', '2031-02-28', 2],
      ['2031-03-01', '2031-03-31', 3],
    ]);
  });

  it('starts weeks on Monday in local time', async () => {
    const byWeek = await report({ from: '2031-02-24', to: '2031-03-09', period: 'WEEK' });
    expect(tripsPerRow(byWeek)).toEqual([
      ['2031-02-24', '2031-03-02', 3],
      ['2031-03-03', '2031-03-09', 1],
    ]);
    // Starting on a Wednesday, the first week is cut to the range.
    const cut = await report({ from: '2031-02-26', to: '2031-03-05', period: 'WEEK', groupBy: 'HOSPITAL' });
    expect(cut.rows.map((row) => [row.periodStart, row.periodEnd, groupOf(row), row.kpis.tripCount])).toEqual([
      ['2031-02-26', '2031-03-02', HOSPITAL_1, 3],
      ['2031-03-03', '2031-03-05', HOSPITAL_1, 1],
    ]);
  });

  it('cuts a month the range starts or ends within to the range, and counts only its days', async () => {
    const fromMidMonth = await report({ from: '2031-02-15', to: '2031-03-31', period: 'MONTH' });
    expect(tripsPerRow(fromMidMonth)).toEqual([
      ['2031-02-15', '2031-02-28', 1],
      ['2031-03-01', '2031-03-31', 3],
    ]);
    expect(fromMidMonth.total.tripCount).toBe(4);
    const bothCut = await report({ from: '2031-02-28', to: '2031-03-02', period: 'MONTH' });
    expect(tripsPerRow(bothCut)).toEqual([
      ['2031-02-28', '2031-02-28', 1],
      ['2031-03-01', '2031-03-02', 2],
    ]);
  });
});

describe('delivery order and redelivery', () => {
  const GROUPINGS = [undefined, 'HOSPITAL', 'AGENCY', 'TRANSPORT_LEVEL', 'PRIORITY'] as const;
  /** The ten days' reports by month, ungrouped and by every grouping, and by day, without their dates. */
  async function figuresOfTenTrips(firstDay: string) {
    // The ten days lie within one month: a month cut to them, read from their days' rollups.
    const month = { from: firstDay, to: dayText(firstDay, 9) };
    const byGrouping = await Promise.all(GROUPINGS.map(async (groupBy) => figuresOf(await report({ ...month, period: 'MONTH', groupBy }))));
    const byDay = figuresOf(await report({ from: firstDay, to: dayText(firstDay, 9), period: 'DAY' }));
    return { byGrouping, byDay };
  }

  it("gives the same report when the ems feed's events come first and statuses arrive backwards", async () => {
    const firstDay = '2031-10-06';
    for (const story of tenTrips(firstDay)) {
      const { hospital, ems } = storyEvents(randomUUID(), story);
      const [requested, ...statuses] = hospital;
      await deliver(fromEms, ...ems);
      await deliver(fromHospital, ...statuses.reverse());
      await deliver(fromHospital, requested!);
    }
    const october = await figuresOfTenTrips(firstDay);
    expect(october.byGrouping[0]!.total).toEqual(TEN_TRIPS_TOTAL);
    expect(october).toEqual(await figuresOfTenTrips('2031-08-04'));
  });

  it('changes nothing when the consumers get the same events again, or the hospital repeats its events', async () => {
    const firstDay = '2031-11-03';
    const hospital: TripEvent[] = [];
    const ems: TripEvent[] = [];
    for (const story of tenTrips(firstDay)) {
      const events = storyEvents(randomUUID(), story);
      hospital.push(...events.hospital);
      ems.push(...events.ems);
    }
    // Through the real consumers, whose inbox knows what they applied.
    const hospitalConsumer = `test.hospital.${randomUUID()}`;
    const emsConsumer = `test.ems.${randomUUID()}`;
    await consumeFeed(center.database.db, fromHospital, hospitalConsumer, hospital);
    await consumeFeed(center.database.db, fromEms, emsConsumer, ems);
    const once = await figuresOfTenTrips(firstDay);
    expect(once.byGrouping[0]!.total).toEqual(TEN_TRIPS_TOTAL);

    await consumeFeed(center.database.db, fromHospital, hospitalConsumer, redelivered(hospital));
    await consumeFeed(center.database.db, fromEms, emsConsumer, redelivered(ems));
    expect(await figuresOfTenTrips(firstDay)).toEqual(once);

    // The hospital's facts hold without the inbox too: a status or a request told twice is one status, one request.
    await deliver(fromHospital, ...repeated(hospital));
    expect(await figuresOfTenTrips(firstDay)).toEqual(once);
  });
});

describe('rebuilding the rollups from the facts', () => {
  it('gives exactly the reports the rollups kept up event by event gave', async () => {
    await deliverStories(tenTrips('2031-12-01'));
    const reports: ReportArgs[] = [
      ...(['DAY', 'WEEK', 'MONTH'] as const).flatMap((period) =>
        [undefined, 'HOSPITAL', 'AGENCY', 'TRANSPORT_LEVEL', 'PRIORITY'].map((groupBy) => ({ from: '2031-01-01', to: '2031-12-31', period, groupBy }) as ReportArgs),
      ),
      // Every trip of the database, the demo's included.
      { from: '2022-01-01', to: '2031-12-31', period: 'MONTH', groupBy: 'AGENCY' },
      { from: '2022-01-01', to: '2031-12-31', period: 'WEEK' },
    ];
    const before = await Promise.all(reports.map(report));
    await rebuildRollupsFromFacts(center.database.db);
    const after = await Promise.all(reports.map(report));
    const differing = reports.filter((_, i) => JSON.stringify(after[i]) !== JSON.stringify(before[i]));
    expect(differing).toEqual([]);
    expect(after).toEqual(before);
  });
});

describe('a report without dates', () => {
  it('covers the last 30 days up to today in the network time zone; with only a start, up to today', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const thirtiethDay = new Date(`${today}T00:00:00Z`);
    thirtiethDay.setUTCDate(thirtiethDay.getUTCDate() - 29);
    expect(await report({ period: 'WEEK' })).toMatchObject({ from: thirtiethDay.toISOString().slice(0, 10), to: today, period: 'WEEK' });
    expect(await report({ from: '2026-01-01' })).toMatchObject({ from: '2026-01-01', to: today });
    expect(await report({ to: '2031-03-31' })).toMatchObject({ from: '2031-03-02', to: '2031-03-31' });
  });
});

describe('bad arguments', () => {
  const errorOf = async (args: Record<string, unknown>) => firstError(await askAnalytics(args));

  it('refuses a blank end, naming it, and a start after today when the end is left out', async () => {
    expect(await errorOf({ from: '2031-01-01', to: '  ' })).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await errorOf({ from: '', to: '2031-01-31' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
    // Left out, `to` is today: a start in the future is a range that ends before it starts.
    expect(await errorOf({ from: '2199-01-01' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('refuses a range that ends before it starts', async () => {
    expect(await errorOf({ from: '2031-02-01', to: '2031-01-31' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('refuses a date that is not in the calendar, or not a date', async () => {
    expect(await errorOf({ from: '2031-02-01', to: '2031-02-30' })).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await errorOf({ from: '2031-02-29', to: '2031-03-31' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(await errorOf({ from: 'yesterday', to: '2031-02-01' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(await errorOf({ from: '2031-1-5', to: '2031-02-01' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('refuses dates outside 2000–2199, where no trip can be', async () => {
    expect(await errorOf({ from: '9999-12-01', to: '9999-12-31', period: 'MONTH' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
    expect(await errorOf({ from: '2199-12-01', to: '9999-12-31', period: 'MONTH' })).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await errorOf({ from: '1999-12-31', to: '2000-01-31', period: 'MONTH' })).toEqual({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('refuses a day-by-day range longer than 1,096 days and takes one exactly that long', async () => {
    // 2031 (365) + 2032 (366, a leap year) + 2033 (365) = 1,096 days.
    expect(await errorOf({ from: '2031-01-01', to: '2034-01-01', period: 'DAY' })).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
    const longest = await postGraphQL<{ analytics: { rows: unknown[] } }>(
      center.url,
      `query { analytics(from: "2031-01-01", to: "2033-12-31", period: DAY) { rows { periodStart } } }`,
      {},
      bearer(tokenOf('analyst@center.demo')),
    );
    expect(longest.errors).toBeUndefined();
    expect(longest.data!.analytics.rows).toHaveLength(1_096);
    // By week the same range is allowed, and ten years by month.
    expect((await askAnalytics({ from: '2031-01-01', to: '2034-01-01', period: 'WEEK' })).errors).toBeUndefined();
    expect(await errorOf({ from: '2031-01-01', to: '2041-01-01', period: 'MONTH' })).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('refuses an unknown period or grouping sent as variables, naming the variable in the message', async () => {
    // GraphQL refuses the variable before any resolver runs: a request error whose error has the code, and no
    // `field`; 400 for a client that accepts application/graphql-response+json, 200 for an application/json one.
    const strictly = (args: Record<string, unknown>) =>
      postGraphQL<{ analytics: Report }>(center.url, ANALYTICS, args, { ...bearer(tokenOf('analyst@center.demo')), accept: 'application/graphql-response+json' });
    const period = await strictly({ from: '2031-01-01', to: '2031-01-31', period: 'YEAR' });
    expect(period.status).toBe(400);
    expect(period.data ?? null).toBeNull();
    expect(period.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(period.errors![0]!.message).toBe('Variable "$period" got invalid value "YEAR"; Value "YEAR" does not exist in "AnalyticsPeriod" enum.');
    const legacy = await askAnalytics({ from: '2031-01-01', to: '2031-01-31', period: 'YEAR' });
    expect({ status: legacy.status, data: legacy.data, errors: legacy.errors }).toEqual({ status: 200, data: undefined, errors: period.errors });

    const groupBy = await strictly({ from: '2031-01-01', to: '2031-01-31', groupBy: 'UNIT' });
    expect(groupBy.status).toBe(400);
    expect(groupBy.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(groupBy.errors![0]!.message).toContain('"$groupBy" got invalid value "UNIT"');
  });
});

describe('who may read the network analytics', () => {
  it('forbids hospital and ems accounts, and asks anyone else to sign in', async () => {
    const range = { from: '2031-08-01', to: '2031-08-31' };
    for (const email of ['coordinator@hospital-1.demo', 'dispatcher@agency-1.demo'] as const) {
      expect(firstError(await askAnalytics(range, tokenOf(email))).code, email).toBe('FORBIDDEN');
    }
    const anonymous = await postGraphQL(center.url, ANALYTICS, range);
    expect(firstError(anonymous).code).toBe('UNAUTHENTICATED');
  });
});
