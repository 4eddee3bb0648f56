import { demo, type EventType } from '@medport/domain';
import { bearer, errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldTripFacts, generateHistory, openSilos } from '../scripts/history.js';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip } from './support/trips.js';

// The analytics end to end: a year of generated history in the producers' outboxes before the services start, the
// center's consumers building facts and KPI sums from the feeds, the reports through the gateway checked against
// the events themselves, a replay that must build exactly the same again, and a live trip counted as it happens.

const network = demo.buildDemoNetwork();
const agency = (slug: string) => network.agencies.find((candidate) => candidate.slug === slug)!;
const hospital = (slug: string) => network.hospitals.find((candidate) => candidate.slug === slug)!;

const ADMIN = 'admin@center.demo';
const ANALYST = 'analyst@center.demo';
const ANALYTICS_CONSUMERS = [
  { name: 'center.from-hospital', source: 'hospital' },
  { name: 'center.from-ems', source: 'ems' },
] as const;

/** The generated year: far from the demo's trips, which sit around now. Requests fall in [FROM, TO 00:00). */
const HISTORY = { trips: 500, from: '2024-01-01', to: '2024-12-31', seed: 7 };

let stack: Stack;
/** How long the services took from their start to the center's facts of the whole history. */
let consumedInMs = 0;

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

/** Data of an operation that must succeed. */
async function read(email: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await run(email, query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data;
}

/** The newest event of a producer's outbox, as a feed cursor (`txid:position`). */
async function lastOutboxCursor(silo: 'hospital' | 'ems'): Promise<string> {
  const [last] = await rows<{ cursor: string }>(
    stack,
    silo,
    sql`select transaction_id::text || ':' || position::text as cursor from outbox_events order by transaction_id desc, position desc limit 1`,
  );
  return last?.cursor ?? '0:0';
}

/**
 * Waits until both analytics consumers stand on the last event of their producer's outbox, as
 * `centerEventConsumers` shows them to an administrator, and checks that none parked an event on the way.
 */
async function analyticsCaughtUp(timeoutMs = 110_000): Promise<void> {
  const consumers = await eventually(async () => {
    const { centerEventConsumers } = await read(ADMIN, `{ centerEventConsumers { name source cursor parkedCount lastError } }`);
    for (const { name, source } of ANALYTICS_CONSUMERS) {
      const consumer = centerEventConsumers.find((candidate: { name: string }) => candidate.name === name);
      expect(consumer, name).toBeDefined();
      expect(consumer.cursor, name).toBe(await lastOutboxCursor(source));
    }
    return centerEventConsumers as { name: string; parkedCount: number; lastError: string | null }[];
  }, timeoutMs);
  for (const { name } of ANALYTICS_CONSUMERS) {
    expect(consumers.find((consumer) => consumer.name === name)).toMatchObject({ parkedCount: 0, lastError: null });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What the generated events say, read back from the producers' outboxes: the expectations come from the events,
// not from the center's code.

interface HistoryTrip {
  id: string;
  hospitalId: string;
  level: string;
  day: string;
  /** The last status reported; REQUESTED when none was. */
  status: string;
  /** The agency named by the last status change, null when no agency took the trip. */
  agencyId: string | null;
  accepted: boolean;
  offeredTo: string[];
  responses: { agencyId: string; decision: string }[];
}

async function historyOfOutboxes(): Promise<HistoryTrip[]> {
  const trips = new Map<string, HistoryTrip>();
  const events = async (silo: 'hospital' | 'ems') =>
    rows<{ type: string; payload: any }>(stack, silo, sql`select type, payload from outbox_events order by transaction_id, position`);
  for (const { type, payload } of await events('hospital')) {
    if (type === 'TripRequested') {
      trips.set(payload.tripId, {
        id: payload.tripId,
        hospitalId: payload.hospitalId,
        level: payload.transportLevel,
        day: payload.requestedAt.slice(0, 10),
        status: 'REQUESTED',
        agencyId: null,
        accepted: false,
        offeredTo: [],
        responses: [],
      });
    } else if (type === 'TripStatusChanged') {
      const trip = trips.get(payload.tripId)!;
      trip.status = payload.status;
      trip.agencyId = payload.agencyId ?? trip.agencyId;
      if (payload.status === 'ACCEPTED') trip.accepted = true;
    }
  }
  for (const { type, payload } of await events('ems')) {
    const trip = trips.get(payload.tripId)!;
    if (type === 'TripOffered') trip.offeredTo.push(...payload.agencyIds);
    if (type === 'TripResponded') trip.responses.push({ agencyId: payload.agencyId, decision: payload.decision });
  }
  return [...trips.values()].filter((trip) => trip.day >= HISTORY.from && trip.day <= HISTORY.to);
}

const countBy = <T>(items: readonly T[], key: (item: T) => string | null, weight: (item: T) => number = () => 1) => {
  const counts = new Map<string | null, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + weight(item));
  return counts;
};
const sum = (numbers: readonly number[]) => numbers.reduce((total, n) => total + n, 0);

// ---------------------------------------------------------------------------------------------------------------
// The reports.

const PERCENTILES = `p50 p90 count`;
const KPIS = `
  tripCount byStatus { status count } acceptanceMinutes { ${PERCENTILES} } offeredTrips acceptedTrips fillRate expiredCount
  offers responses declines responsesPerTrip declineRate unitResponseMinutes { ${PERCENTILES} } acceptToPickupMinutes { ${PERCENTILES} }
  withinSlaCount withinSlaRate scheduledPickups onTimePickups onTimePickupRate transportMinutes { ${PERCENTILES} }
  completedCount completionRate cancelledCount cancellationRate cancellationsByReason { reason count } cancellationsByParty { party count }`;
const REPORT = `from to period groupBy timeZone acceptToPickupSlaMinutes onTimeWindowMinutes total { ${KPIS} }
  rows { periodStart periodEnd hospital { id name } agency { id name } transportLevel priority kpis { ${KPIS} } }`;
const ANALYTICS = `query($from: String, $to: String, $period: AnalyticsPeriod, $groupBy: AnalyticsGrouping) {
  analytics(from: $from, to: $to, period: $period, groupBy: $groupBy) { ${REPORT} }
}`;
const AGENCY_PERFORMANCE = `query($id: ID!, $from: String, $to: String) { agency(id: $id) { id performance(from: $from, to: $to) { ${REPORT} } } }`;
const HOSPITAL_ACTIVITY = `query($id: ID!, $from: String, $to: String) { hospital(id: $id) { id activity(from: $from, to: $to, period: WEEK) { ${REPORT} } } }`;

interface Kpis {
  tripCount: number;
  byStatus: { status: string; count: number }[];
  acceptanceMinutes: { p50: number; p90: number; count: number } | null;
  transportMinutes: { p50: number; p90: number; count: number } | null;
  offeredTrips: number;
  acceptedTrips: number;
  fillRate: number | null;
  declineRate: number | null;
  expiredCount: number;
  offers: number;
  responses: number;
  declines: number;
  completedCount: number;
  cancelledCount: number;
}
interface Row {
  periodStart: string;
  periodEnd: string;
  hospital: { id: string; name: string } | null;
  agency: { id: string; name: string } | null;
  transportLevel: string | null;
  kpis: Kpis;
}
interface Report {
  total: Kpis;
  rows: Row[];
}

const range = { from: HISTORY.from, to: HISTORY.to };
const analytics = async (email: string, variables: Record<string, unknown>): Promise<Report> => (await read(email, ANALYTICS, variables)).analytics;

/** Every report this file checks on the history, read as the analyst. */
async function readReports() {
  return {
    byMonth: await analytics(ANALYST, { ...range, period: 'MONTH' }),
    byMonthAndAgency: await analytics(ANALYST, { ...range, period: 'MONTH', groupBy: 'AGENCY' }),
    byWeekAndHospital: await analytics(ANALYST, { ...range, period: 'WEEK', groupBy: 'HOSPITAL' }),
    byDayAndLevel: await analytics(ANALYST, { ...range, period: 'DAY', groupBy: 'TRANSPORT_LEVEL' }),
    agency1: (await read(ANALYST, AGENCY_PERFORMANCE, { ...range, id: agency('agency-1').id })).agency.performance as Report,
    agency4: (await read(ANALYST, AGENCY_PERFORMANCE, { ...range, id: agency('agency-4').id })).agency.performance as Report,
    hospital1: (await read(ANALYST, HOSPITAL_ACTIVITY, { ...range, id: hospital('hospital-1').id })).hospital.activity as Report,
  };
}

type Fact = Record<string, unknown> & { trip_id: string };
/** Every trip fact of the center, every column but the time it was last written, in trip order. */
const allFacts = async (): Promise<Fact[]> =>
  (await rows<Fact>(stack, 'center', sql`select * from trip_facts order by trip_id`)).map(({ updated_at, ...fact }) => fact as Fact);
let factsBeforeReplay: Fact[] = [];
let factsAfterReplay: Fact[] = [];

/** The sum of one KPI over a report's rows, per value of `key`. */
const rowSums = (report: Report, key: (row: Row) => string | null, kpi: (kpis: Kpis) => number) => countBy(report.rows, key, (row) => kpi(row.kpis));
const statusCount = (kpis: Kpis, status: string) => kpis.byStatus.find((entry) => entry.status === status)!.count;

let history: HistoryTrip[];
let reports: Awaited<ReturnType<typeof readReports>>;

beforeAll(async () => {
  let historyWrittenAt = 0;
  stack = await startStack({
    // No offer expires while this file runs: a demo trip expiring would move today's counts under the live trip's.
    env: { OFFER_EXPIRY_SWEEP_MS: '3600000' },
    async prepare(databases) {
      const urls = Object.values(databases).map((database) => database.url);
      if (urls.includes(undefined)) throw new Error('The analytics tests need PostgreSQL: the history is written before the services start.');
      const silos = await openSilos({ ...databases.hospital.env, ...databases.ems.env, ...databases.center.env, LOG_LEVEL: 'silent' });
      try {
        await generateHistory(silos.databases, {
          trips: HISTORY.trips,
          from: new Date(`${HISTORY.from}T00:00:00Z`),
          to: new Date(`${HISTORY.to}T00:00:00Z`),
          seed: HISTORY.seed,
          centerFacts: 'consume',
        });
      } finally {
        await silos.close();
      }
      historyWrittenAt = Date.now();
    },
  });
  await analyticsCaughtUp();
  consumedInMs = Date.now() - historyWrittenAt;
  history = await historyOfOutboxes();
  reports = await readReports();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('analytics built from a year of events read from the feeds', () => {
  it("counts the demo network's trips, which it learned from the hospital's and ems's seeded events like any other", async () => {
    const summary = (await read(ANALYST, `{ networkSummary { tripCount byStatus { status count } } }`)).networkSummary as {
      tripCount: number;
      byStatus: { status: string; count: number }[];
    };
    expect(summary.tripCount).toBe(demo.DEMO_TRIP_COUNT + HISTORY.trips);
    const generated = countBy(history, (trip) => trip.status, () => 1);
    const expected = Object.fromEntries(
      summary.byStatus.map((entry) => [entry.status, network.trips.filter((trip) => trip.status === entry.status).length + (generated.get(entry.status) ?? 0)]),
    );
    expect(Object.fromEntries(summary.byStatus.map((entry) => [entry.status, entry.count]))).toEqual(expected);
  });

  it('counts every generated trip once, in its month, with the statuses, offers and answers the events tell', async () => {
    expect(history).toHaveLength(HISTORY.trips);
    const { byMonth } = reports;
    expect(byMonth).toMatchObject({ from: HISTORY.from, to: HISTORY.to, period: 'MONTH', groupBy: null, timeZone: 'UTC' });
    expect(byMonth.rows.map((row) => row.periodStart)).toEqual(Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}-01`));
    const perMonth = countBy(history, (trip) => trip.day.slice(0, 7));
    expect(byMonth.rows.map((row) => row.kpis.tripCount)).toEqual(byMonth.rows.map((row) => perMonth.get(row.periodStart.slice(0, 7)) ?? 0));

    const { total } = byMonth;
    expect(total.tripCount).toBe(HISTORY.trips);
    expect(sum(total.byStatus.map((entry) => entry.count))).toBe(total.tripCount);
    for (const row of byMonth.rows) expect(sum(row.kpis.byStatus.map((entry) => entry.count))).toBe(row.kpis.tripCount);
    const byStatus = countBy(history, (trip) => trip.status);
    for (const { status, count } of total.byStatus) expect(count, status).toBe(byStatus.get(status) ?? 0);
    const accepted = history.filter((trip) => trip.accepted).length;
    expect(total).toMatchObject({
      offeredTrips: history.filter((trip) => trip.offeredTo.length > 0).length,
      acceptedTrips: accepted,
      expiredCount: byStatus.get('EXPIRED') ?? 0,
      completedCount: byStatus.get('COMPLETED') ?? 0,
      cancelledCount: byStatus.get('CANCELLED') ?? 0,
      offers: sum(history.map((trip) => trip.offeredTo.length)),
      responses: sum(history.map((trip) => trip.responses.length)),
      declines: sum(history.map((trip) => trip.responses.filter((response) => response.decision === 'DECLINED').length)),
    });
    expect(total.acceptanceMinutes?.count).toBe(accepted);
    // The rows add up to the total.
    for (const kpi of ['tripCount', 'offers', 'responses', 'declines', 'acceptedTrips'] as const) {
      expect(sum(byMonth.rows.map((row) => row.kpis[kpi])), kpi).toBe(total[kpi]);
    }
  });

  it('builds the facts without the hospital and ems consumers deadlocking each other', async () => {
    // Both consumers change the same rollup rows (the network's month, say) in batch transactions: a deadlock
    // throws a whole batch away and sends it through again one event at a time, with retries that can park events.
    const [stats] = await rows<{ deadlocks: number }>(stack, 'center', sql`select deadlocks::int from pg_stat_database where datname = current_database()`);
    expect(stats!.deadlocks, `deadlocks while consuming ${HISTORY.trips} trips in ${consumedInMs} ms`).toBe(0);
  });

  it('splits trips by the agency that took them and offers by the agency offered them, adding up to the network', async () => {
    const { byMonth, byMonthAndAgency } = reports;
    expect(byMonthAndAgency.total).toEqual(byMonth.total);
    const agencyOf = (row: Row) => row.agency?.id ?? null;
    const trips = rowSums(byMonthAndAgency, agencyOf, (kpis) => kpis.tripCount);
    const offers = rowSums(byMonthAndAgency, agencyOf, (kpis) => kpis.offers);
    expect(sum([...trips.values()])).toBe(byMonth.total.tripCount);
    expect(sum([...offers.values()])).toBe(byMonth.total.offers);
    // Agencies that were offered trips but took none in a month have a row of offers only.
    expect(Object.fromEntries([...trips].filter(([, count]) => count > 0))).toEqual(Object.fromEntries(countBy(history, (trip) => trip.agencyId)));
    const offered = history.flatMap((trip) => trip.offeredTo);
    expect(Object.fromEntries([...offers].filter(([, count]) => count > 0))).toEqual(Object.fromEntries(countBy(offered, (id) => id)));
    const declined = history.flatMap((trip) => trip.responses.filter((response) => response.decision === 'DECLINED').map((response) => response.agencyId));
    expect(Object.fromEntries([...rowSums(byMonthAndAgency, agencyOf, (kpis) => kpis.declines)].filter(([, count]) => count > 0))).toEqual(
      Object.fromEntries(countBy(declined, (id) => id)),
    );
    // The agency is resolved by ems, under its own name.
    const named = byMonthAndAgency.rows.find((row) => row.agency?.id === agency('agency-1').id)!;
    expect(named.agency!.name).toBe(agency('agency-1').name);
  });

  it('splits trips by week and hospital, and by day and level of care, adding up to the network', async () => {
    const { byMonth, byWeekAndHospital, byDayAndLevel } = reports;
    // 2024-01-01 is a Monday; the last week is cut to the range's last day.
    expect(byWeekAndHospital.rows[0]!.periodStart).toBe('2024-01-01');
    expect(byWeekAndHospital.rows.at(-1)).toMatchObject({ periodStart: '2024-12-30', periodEnd: '2024-12-31' });
    expect(new Set(byWeekAndHospital.rows.map((row) => row.periodStart)).size).toBe(53);
    const perHospital = rowSums(byWeekAndHospital, (row) => row.hospital!.id, (kpis) => kpis.tripCount);
    expect(Object.fromEntries(perHospital)).toEqual(Object.fromEntries(countBy(history, (trip) => trip.hospitalId)));
    expect(byWeekAndHospital.rows.find((row) => row.hospital!.id === hospital('hospital-1').id)!.hospital!.name).toBe(hospital('hospital-1').name);
    expect(byWeekAndHospital.total).toEqual(byMonth.total);

    expect(byDayAndLevel.rows.every((row) => row.periodStart === row.periodEnd)).toBe(true);
    expect(Object.fromEntries(rowSums(byDayAndLevel, (row) => row.transportLevel, (kpis) => kpis.tripCount))).toEqual(
      Object.fromEntries(countBy(history, (trip) => trip.level)),
    );
    expect(Object.fromEntries(rowSums(byDayAndLevel, (row) => row.periodStart, (kpis) => kpis.tripCount))).toEqual(
      Object.fromEntries(countBy(history, (trip) => trip.day)),
    );
    expect(byDayAndLevel.total).toEqual(byMonth.total);
  });

  it("gives an agency's performance and a hospital's activity the figures of their rows in the grouped reports", async () => {
    const { byMonthAndAgency, byWeekAndHospital, agency1, agency4, hospital1 } = reports;
    for (const [slug, report] of [['agency-1', agency1], ['agency-4', agency4]] as const) {
      const id = agency(slug).id;
      const ofAgency = byMonthAndAgency.rows.filter((row) => row.agency?.id === id);
      expect(report.rows).toHaveLength(12);
      expect(report.total).toMatchObject({
        tripCount: history.filter((trip) => trip.agencyId === id).length,
        offers: history.filter((trip) => trip.offeredTo.includes(id)).length,
        responses: sum(ofAgency.map((row) => row.kpis.responses)),
        declines: sum(ofAgency.map((row) => row.kpis.declines)),
      });
      // Month by month, the agency's own report and its rows of the grouped one agree on everything.
      for (const row of ofAgency) expect(report.rows.find((own) => own.periodStart === row.periodStart)!.kpis, `${slug} ${row.periodStart}`).toEqual(row.kpis);
    }
    const id = hospital('hospital-1').id;
    expect(hospital1.total.tripCount).toBe(history.filter((trip) => trip.hospitalId === id).length);
    for (const row of byWeekAndHospital.rows.filter((candidate) => candidate.hospital!.id === id)) {
      expect(hospital1.rows.find((own) => own.periodStart === row.periodStart)!.kpis, row.periodStart).toEqual(row.kpis);
    }
  });
});

/** The replay reads the whole history again, as long as the first consumption took. */
const REPLAY_TIMEOUT_MS = 150_000;
const REPLAY = `mutation { replayAnalytics { consumers requestedAt } }`;
const consumerCursors = () =>
  rows(stack, 'center', sql`select name, cursor from event_consumers where name in ('center.from-hospital', 'center.from-ems') order by name`);

describe('replayAnalytics', () => {
  it('is FORBIDDEN to an analyst, and resets nothing', async () => {
    const factsBefore = await allFacts();
    const cursorsBefore = await consumerCursors();
    const refused = await run(ANALYST, REPLAY);
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(await consumerCursors()).toEqual(cursorsBefore);
    expect(await allFacts()).toEqual(factsBefore);
    expect(await analytics(ANALYST, { ...range, period: 'MONTH' })).toEqual(reports.byMonth);
  });

  it('rebuilds from the feeds the same facts and the same reports the consumers built event by event', async () => {
    factsBeforeReplay = await allFacts();
    const replay = await read(ADMIN, REPLAY);
    expect(replay.replayAnalytics.consumers).toEqual(ANALYTICS_CONSUMERS.map((consumer) => consumer.name));
    await analyticsCaughtUp(REPLAY_TIMEOUT_MS - 10_000);
    factsAfterReplay = await allFacts();
    const generated = new Set(history.map((trip) => trip.id));
    const ofHistory = (facts: Fact[]) => facts.filter((fact) => generated.has(fact.trip_id));
    expect(ofHistory(factsBeforeReplay)).toHaveLength(HISTORY.trips);
    expect(ofHistory(factsAfterReplay)).toEqual(ofHistory(factsBeforeReplay));
    expect(await readReports()).toEqual(reports);
  }, REPLAY_TIMEOUT_MS);

  it("keeps every fact the center had, the demo network's included: its trips are in the event history too", async () => {
    const kept = new Set(factsAfterReplay.map((fact) => fact.trip_id));
    const lost = factsBeforeReplay.filter((fact) => !kept.has(fact.trip_id));
    expect(lost.length, `facts lost by the replay, of ${factsBeforeReplay.length}`).toBe(0);
    expect(factsAfterReplay).toEqual(factsBeforeReplay);
  });
});

/** The events the center's trip facts are built from. */
const CENTER_EVENT_TYPES: ReadonlySet<string> = new Set(['TripRequested', 'TripPlanChanged', 'TripStatusChanged', 'TripOffered', 'TripResponded']);

describe("the generator's fold", () => {
  it('gives the facts the consumers built from the same events, so a generated million is what the events would build', async () => {
    const events = async (silo: 'hospital' | 'ems') =>
      (await rows<{ type: EventType; payload: { tripId: string }; occurred_at: Date }>(stack, silo, sql`select type, payload, occurred_at from outbox_events order by transaction_id, position`))
        .filter((row) => CENTER_EVENT_TYPES.has(row.type))
        .map((row) => ({ type: row.type, payload: row.payload, occurredAt: new Date(row.occurred_at) }));
    const generated = new Set(history.map((trip) => trip.id));
    const folded = foldTripFacts([...(await events('hospital')), ...(await events('ems'))])
      .filter((fact) => generated.has(fact.trip_id))
      .map(({ updated_at, ...fact }) => fact)
      .sort((a, b) => (a.trip_id < b.trip_id ? -1 : 1));
    expect(folded).toHaveLength(HISTORY.trips);
    expect(folded).toEqual((await allFacts()).filter((fact) => generated.has(fact.trip_id)));
  });
});

describe("an agency's profile and its KPIs in one query", () => {
  const PROFILE = `query($id: ID!, $from: String, $to: String) {
    agency(id: $id) { name phone performance(from: $from, to: $to) { total { tripCount fillRate declineRate } rows { periodStart } } }
  }`;

  it('joins the profile from ems with the figures from center, for center staff and for the agency itself only', async () => {
    const agency1 = agency('agency-1');
    const expected = {
      name: agency1.name,
      phone: agency1.phone,
      performance: {
        total: { tripCount: reports.agency1.total.tripCount, fillRate: reports.agency1.total.fillRate, declineRate: reports.agency1.total.declineRate },
        rows: reports.agency1.rows.map((row) => ({ periodStart: row.periodStart })),
      },
    };
    expect((await read(ANALYST, PROFILE, { ...range, id: agency1.id })).agency).toEqual(expected);
    expect((await read('dispatcher@agency-1.demo', PROFILE, { ...range, id: agency1.id })).agency).toEqual(expected);

    // Another agency is hidden from an agency's staff by ems (NOT_FOUND, like an unknown id): nothing of it leaks.
    const other = await run('dispatcher@agency-1.demo', PROFILE, { ...range, id: agency('agency-2').id });
    expect(errorCodes(other)).toEqual(['NOT_FOUND']);
    expect(other.data?.agency ?? null).toBeNull();
    // The center's own rule on the figures, for a caller who may see the agency's profile but not its figures.
    const hospitalStaff = await run('coordinator@hospital-1.demo', PROFILE, { ...range, id: agency1.id });
    expect(errorCodes(hospitalStaff)).toEqual(['FORBIDDEN']);
    expect(hospitalStaff.errors![0]!.path).toEqual(['agency', 'performance']);
    // The refused figures are null; the profile, which ems may show to hospitals, stays.
    expect(hospitalStaff.data?.agency).toEqual({ ...expected, performance: null });
  });

  it("refuses another agency's figures to an agency's staff at the center, which owns them", async () => {
    const entities = `query($r: [_Any!]!, $from: String, $to: String) {
      _entities(representations: $r) { ... on Agency { performance(from: $from, to: $to) { total { tripCount } } } }
    }`;
    const asDispatcher = bearer(await stack.tokenFor('dispatcher@agency-1.demo'));
    const lookup = (slug: string) => postGraphQL<any>(stack.subgraphs.center.url, entities, { ...range, r: [{ __typename: 'Agency', id: agency(slug).id }] }, asDispatcher);
    const own = await lookup('agency-1');
    expect(own.errors).toBeUndefined();
    expect(own.data._entities[0].performance.total.tripCount).toBe(reports.agency1.total.tripCount);
    expect(errorCodes(await lookup('agency-2'))).toEqual(['FORBIDDEN']);
  });
});

describe('a live trip', () => {
  const RESPOND = `mutation($tripId: ID!, $input: RespondToTripInput!) { respondToTrip(tripId: $tripId, input: $input) { status } }`;
  const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

  it("is counted on today's figures as requested, then as accepted by agency 1 with an acceptance time", async () => {
    // Yesterday to tomorrow: the trip is requested today (UTC, the tests' network time zone) even at midnight.
    const around = { from: dayOffset(-1), to: dayOffset(1), period: 'DAY' };
    const agency1 = agency('agency-1').id;
    const today = async () => {
      const { total } = await analytics(ANALYST, around);
      const byAgency = await analytics(ANALYST, { ...around, groupBy: 'AGENCY' });
      const ofAgency1 = byAgency.rows.filter((row) => row.agency?.id === agency1);
      return {
        trips: total.tripCount,
        requested: statusCount(total, 'REQUESTED'),
        accepted: statusCount(total, 'ACCEPTED'),
        acceptedTrips: total.acceptedTrips,
        acceptanceTimes: total.acceptanceMinutes?.count ?? 0,
        agency1Trips: sum(ofAgency1.map((row) => row.kpis.tripCount)),
        agency1Offers: sum(ofAgency1.map((row) => row.kpis.offers)),
      };
    };
    const before = await today();
    const delta = async () => {
      const now = await today();
      return Object.fromEntries(Object.entries(now).map(([key, value]) => [key, value - before[key as keyof typeof before]]));
    };

    const tripId = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'));
    const offers = await offersOf(stack, tripId);
    expect(offers.map((offer) => offer.agency_id)).toContain(agency1);
    await eventually(async () =>
      expect(await delta()).toEqual({ trips: 1, requested: 1, accepted: 0, acceptedTrips: 0, acceptanceTimes: 0, agency1Trips: 0, agency1Offers: 1 }),
    );

    const accepted = await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 10 } });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.respondToTrip.status).toBe('ACCEPTED');
    await eventually(async () =>
      expect(await delta()).toEqual({ trips: 1, requested: 0, accepted: 1, acceptedTrips: 1, acceptanceTimes: 1, agency1Trips: 1, agency1Offers: 1 }),
    );
  });
});

describe('the CSV export', () => {
  it('serves the trips and offers of the GraphQL report, row by row', async () => {
    const csvUrl = (query: string) => `${stack.subgraphs.center.url.replace(/\/graphql$/, '')}/analytics.csv?${query}`;
    const query = `from=${HISTORY.from}&to=${HISTORY.to}&groupBy=AGENCY`;
    const response = await fetch(csvUrl(query), { headers: bearer(await stack.tokenFor(ANALYST)) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...lines] = (await response.text()).trimEnd().split('\r\n').map((line) => line.split(','));
    const column = (name: string) => {
      const index = header!.indexOf(name);
      expect(index, name).toBeGreaterThanOrEqual(0);
      return index;
    };
    const [periodStart, groupValue, trips, offers] = ['period_start', 'group_value', 'trips', 'offers'].map(column) as [number, number, number, number];
    const fromCsv = lines.map((fields) => ({
      periodStart: fields[periodStart],
      agencyId: fields[groupValue] || null,
      trips: Number(fields[trips]),
      offers: Number(fields[offers]),
    }));
    expect(fromCsv).toEqual(
      reports.byMonthAndAgency.rows.map((row) => ({ periodStart: row.periodStart, agencyId: row.agency?.id ?? null, trips: row.kpis.tripCount, offers: row.kpis.offers })),
    );

    // The same rule as the GraphQL field: center staff only.
    const refused = await fetch(csvUrl(query), { headers: bearer(await stack.tokenFor('dispatcher@agency-1.demo')) });
    expect(refused.status).toBe(403);
  });
});
