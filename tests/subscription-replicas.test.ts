import { demo } from '@medport/domain';
import { openLiveConnection, postGraphQL, type LiveConnection, type LiveSubscription } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startReplicas, type Replicas } from './support/replicas.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf as offersMadeFor, requestTrip as requestTripAs } from './support/trips.js';

// "With two gateway processes and two replicas of the owning subgraph, every subscriber on either gateway gets every
// event it is entitled to, exactly once." Gateway A fronts the stack's hospital and ems replicas (1), gateway B a
// second replica of each (2) on the same databases. Subscribers sit on both gateways; the trips are driven with
// mutations spread over both, so a change committed through replica 1 must reach gateway B's subscribers through
// replica 2 and the other way round: the live events come from the database (outbox + NOTIFY), never from the memory
// of the process that made the change.

let stack: Stack;
let replicas: Replicas;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = [network.hospitals[0]!, network.hospitals[1]!];
const agencyId = (slug: string) => network.agencies.find((candidate) => candidate.slug === slug)!.id.toLowerCase();

type Gateway = 'A' | 'B';
const urlOf = (gateway: Gateway) => (gateway === 'A' ? stack.gatewayUrl : replicas.gateway.url);

const CANCEL = `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: PATIENT_DISCHARGED, party: HOSPITAL }) { status } }`;
const RESPOND = `mutation($tripId: ID!, $input: RespondToTripInput!) { respondToTrip(tripId: $tripId, input: $input) { status } }`;
const CREATE_UNIT = `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`;
const ASSIGN_UNIT = `mutation($tripId: ID!, $unitId: ID!) { assignUnit(tripId: $tripId, unitId: $unitId) { __typename } }`;
const REPORT_PROGRESS = `mutation($tripId: ID!, $status: TransportStatus!) { reportTripProgress(tripId: $tripId, status: $status) { __typename } }`;

const TRIP_STATUS = `subscription($id: ID) {
  tripStatusChanged(transportRequestId: $id) {
    transportRequest { id status assignedAgency { name } hospital { name } }
    status previousStatus changedAt
  }
}`;
const TRIP_OFFERED = `subscription($agencyId: ID) {
  tripOffered(agencyId: $agencyId) { change reason agency { id name } offer { id status } occurredAt }
}`;

/** A mutation through one gateway, as a demo account (signed in once per stack). */
async function run(gateway: Gateway, email: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await postGraphQL<any>(urlOf(gateway), query, variables, await stack.as(email));
  expect(response.errors, `${query.slice(0, 60)}… through gateway ${gateway}`).toBeUndefined();
  return response.data;
}

/** A session of its own (another device of the same person), signed in through one gateway. */
async function signIn(gateway: Gateway, email: string): Promise<string> {
  const response = await postGraphQL<any>(
    urlOf(gateway),
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    { email, password: demo.DEMO_PASSWORD },
  );
  expect(response.errors).toBeUndefined();
  return response.data.login.accessToken;
}

async function requestTrip(gateway: Gateway, hospitalId: string, email: string): Promise<string> {
  return (await requestTripAs(urlOf(gateway), await stack.as(email), { hospitalId })).toLowerCase();
}

/** The agencies ems offered the trip to, once it has (respondToTrip needs the offer). */
const offeredTo = async (tripId: string) => (await offersMadeFor(stack, tripId)).map((offer) => String(offer.agency_id).toLowerCase()).sort();

async function newUnit(gateway: Gateway): Promise<string> {
  const data = await run(gateway, 'admin@agency-1.demo', CREATE_UNIT, {
    input: { agencyId: agencyId('agency-1'), unitNumber: `R-${Math.random().toString(36).slice(2, 8)}`, level: 'BLS' },
  });
  return data.createUnit.id;
}

// --- Subscribers -------------------------------------------------------------------------------------------------

interface Subscriber {
  name: string;
  gateway: Gateway;
  connection: LiveConnection;
  subscription: LiveSubscription;
}

const subscribers: Subscriber[] = [];

function subscribe(name: string, gateway: Gateway, token: string, query: string, variables: Record<string, unknown> = {}): Subscriber {
  const connection = openLiveConnection(urlOf(gateway), token);
  const subscriber = { name, gateway, connection, subscription: connection.subscribe(query, variables) };
  subscribers.push(subscriber);
  return subscriber;
}

/** What one tripStatusChanged subscriber received: `<trip>:<status>` in arrival order (errors fail the test). */
function statusesOf(subscriber: Subscriber): string[] {
  return subscriber.subscription.results.map((result) => {
    expect(result.errors, subscriber.name).toBeUndefined();
    const change = result.data.tripStatusChanged;
    return `${change.transportRequest.id.toLowerCase()}:${change.status}`;
  });
}

/** What one tripOffered subscriber received: `<trip>:<agency>:<change>:<reason>` in arrival order. */
function offersOf(subscriber: Subscriber): string[] {
  return subscriber.subscription.results.map((result) => {
    expect(result.errors, subscriber.name).toBeUndefined();
    const change = result.data.tripOffered;
    return `${change.offer.id.toLowerCase()}:${change.agency.id.toLowerCase()}:${change.change}:${change.reason}`;
  });
}

/** A received list grouped by trip, each trip's items in arrival order. */
function byTrip(items: string[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const item of items) {
    const [trip, ...rest] = item.split(':');
    (grouped[trip!] ??= []).push(rest.join(':'));
  }
  return grouped;
}

// --- The hospital's and ems's outboxes: what each subscriber is entitled to, in feed order ----------------------

interface OutboxRow {
  type: string;
  aggregate_id: string;
  payload: any;
}

let hospitalMark = 0;
let emsMark = 0;

const outboxMark = async (silo: 'hospital' | 'ems') =>
  Number((await rows(stack, silo, sql`select coalesce(max(position), 0)::bigint as mark from outbox_events`))[0]!.mark);

/** The trip status events committed since the subscribers went live, in feed order, as `<trip>:<status>`. */
async function statusEventsInDatabase(visible: (row: OutboxRow) => boolean): Promise<string[]> {
  const events = await rows<OutboxRow>(
    stack,
    'hospital',
    sql`select type, aggregate_id, payload from outbox_events
        where position > ${hospitalMark} and type in ('TripRequested', 'TripStatusChanged')
        order by transaction_id, position`,
  );
  return events
    .filter(visible)
    .map((row) => `${String(row.payload.tripId).toLowerCase()}:${row.type === 'TripRequested' ? 'REQUESTED' : row.payload.status}`);
}

/** The offer events committed since the subscribers went live, in feed order, one item per watched agency. */
async function offerEventsInDatabase(watched: string | null): Promise<string[]> {
  const events = await rows<OutboxRow>(
    stack,
    'ems',
    sql`select type, aggregate_id, payload from outbox_events
        where position > ${emsMark} and type in ('TripOffered', 'TripOffersEnded')
        order by transaction_id, position`,
  );
  return events.flatMap((row) =>
    (row.payload.agencyIds as string[])
      .map((id) => id.toLowerCase())
      .filter((id) => watched === null || id === watched)
      .map((id) =>
        row.type === 'TripOffered'
          ? `${String(row.payload.tripId).toLowerCase()}:${id}:OFFERED:null`
          : `${String(row.payload.tripId).toLowerCase()}:${id}:WITHDRAWN:${row.payload.reason}`,
      ),
  );
}

// --- The scenario --------------------------------------------------------------------------------------------------

const STATUS_SUBSCRIBERS = ['hospital-1 coordinator (device 1)', 'hospital-1 coordinator (device 2)', 'center admin', 'hospital-2 coordinator'];
const OFFER_SUBSCRIBERS = ['agency-2 dispatcher (device 1)', 'agency-2 dispatcher (device 2)', 'agency-1 dispatcher', 'center admin (every agency)'];

type Outcome = { kind: 'accepted'; by: string } | { kind: 'cancelled' } | { kind: 'open' };

/** Each trip of the scenario: its hospital, the statuses it went through, and how its offers ended. */
const trips: Record<string, { name: string; hospitalId: string; statuses: string[]; outcome: Outcome; offeredTo: string[] }> = {};
let t1 = '';
let drivenAt = 0;

const findSubscriber = (name: string, gateway: Gateway) => subscribers.find((s) => s.name === name && s.gateway === gateway)!;

/** What a tripStatusChanged subscriber is entitled to, per trip, from what the scenario did. */
function expectedStatuses(name: string): Record<string, string[]> {
  const expected: Record<string, string[]> = {};
  for (const [id, trip] of Object.entries(trips)) {
    if (name.startsWith('hospital-1') && trip.hospitalId !== hospital1.id) continue;
    if (name.startsWith('hospital-2') && trip.hospitalId !== hospital2.id) continue;
    if (name.startsWith('trip follower')) {
      // It subscribed once T1 existed: everything after REQUESTED, of T1 only.
      if (id === t1) expected[id] = trip.statuses.slice(1);
      continue;
    }
    expected[id] = trip.statuses;
  }
  return expected;
}

/** What a tripOffered subscriber watching one agency (or every agency, null) is entitled to, per trip. */
function expectedOffers(watched: string | null): Record<string, string[]> {
  const expected: Record<string, string[]> = {};
  for (const [id, trip] of Object.entries(trips)) {
    const agencies = trip.offeredTo.filter((agency) => watched === null || agency === watched);
    if (agencies.length === 0) continue;
    const items = agencies.map((agency) => `${agency}:OFFERED:null`);
    const { outcome } = trip;
    if (outcome.kind === 'cancelled') items.push(...agencies.map((agency) => `${agency}:WITHDRAWN:TRIP_CANCELLED`));
    if (outcome.kind === 'accepted') {
      items.push(...agencies.filter((agency) => agency !== outcome.by).map((agency) => `${agency}:WITHDRAWN:TAKEN_BY_ANOTHER_AGENCY`));
    }
    expected[id] = items;
  }
  return expected;
}

const expectedCount = (expected: Record<string, string[]>) => Object.values(expected).reduce((sum, items) => sum + items.length, 0);

const watchedBy = (name: string) => (name.startsWith('agency-2') ? agencyId('agency-2') : name.startsWith('agency-1') ? agencyId('agency-1') : null);

/**
 * The demo network has open offers whose deadlines pass while the tests run: ems's sweep expires them, and every
 * subscriber entitled to the trip then rightly receives EXPIRED. So that the scenario's events are the only ones,
 * the deadlines still ahead are moved an hour on (no trip expires during the test), and the test waits until the
 * hospital applied every expiry ems already decided (their events come before the subscribers go live).
 */
async function quietDemoNetwork() {
  await sql`update trips set response_deadline = greatest(response_deadline, now()) + interval '1 hour' where status = 'REQUESTED'`.execute(
    stack.subgraphs.ems.database.db as any,
  );
  await eventually(async () => {
    const expiredInEms = await rows(stack, 'ems', sql`select id from trips where status = 'EXPIRED'`);
    const stillRequested = new Set(
      (await rows(stack, 'hospital', sql`select id from transport_requests where status = 'REQUESTED'`)).map((row) => String(row.id).toLowerCase()),
    );
    expect(expiredInEms.map((row) => String(row.id).toLowerCase()).filter((id) => stillRequested.has(id))).toEqual([]);
  });
}

beforeAll(async () => {
  stack = await startStack();
  replicas = await startReplicas(stack);
  await quietDemoNetwork();
  const gateways: Gateway[] = ['A', 'B'];

  // Every subscriber has a session of its own, signed in through its gateway: two devices of hospital 1's coordinator
  // (one shared upstream per gateway), the center admin (every trip), hospital 2's coordinator, and on the ems side two
  // devices of agency 2's dispatcher, agency 1's dispatcher and the center admin watching every agency.
  for (const gateway of gateways) {
    const token = (email: string) => signIn(gateway, email);
    subscribe(STATUS_SUBSCRIBERS[0]!, gateway, await token('coordinator@hospital-1.demo'), TRIP_STATUS);
    subscribe(STATUS_SUBSCRIBERS[1]!, gateway, await token('coordinator@hospital-1.demo'), TRIP_STATUS);
    subscribe(STATUS_SUBSCRIBERS[2]!, gateway, await token('admin@center.demo'), TRIP_STATUS);
    subscribe(STATUS_SUBSCRIBERS[3]!, gateway, await token('coordinator@hospital-2.demo'), TRIP_STATUS);
    subscribe(OFFER_SUBSCRIBERS[0]!, gateway, await token('dispatcher@agency-2.demo'), TRIP_OFFERED);
    subscribe(OFFER_SUBSCRIBERS[1]!, gateway, await token('dispatcher@agency-2.demo'), TRIP_OFFERED);
    subscribe(OFFER_SUBSCRIBERS[2]!, gateway, await token('dispatcher@agency-1.demo'), TRIP_OFFERED);
    subscribe(OFFER_SUBSCRIBERS[3]!, gateway, await token('admin@center.demo'), TRIP_OFFERED);
  }
  // Live once every subscriber joined its group at its gateway and each group's upstream listens on its replica's
  // outbox reader: 3 tripStatusChanged and 3 tripOffered upstreams per gateway, for 8 subscribers.
  const live = async (hospitalUpstreams: number, subscribersPerGateway: number) =>
    eventually(async () => {
      for (const gateway of [stack.gateway, replicas.gateway]) {
        expect(gateway.subscriptionStats()).toEqual({ connections: subscribersPerGateway, upstreams: hospitalUpstreams + 3, subscribers: subscribersPerGateway });
      }
      expect([stack.subgraphs.hospital.live.listenerCount, replicas.hospital.live.listenerCount]).toEqual([hospitalUpstreams, hospitalUpstreams]);
      expect([stack.subgraphs.ems.live.listenerCount, replicas.ems.live.listenerCount]).toEqual([3, 3]);
    }, 10_000);
  await live(3, 8);
  [hospitalMark, emsMark] = [await outboxMark('hospital'), await outboxMark('ems')];

  const started = Date.now();
  const coordinator1 = 'coordinator@hospital-1.demo';
  // T1 first, so that a subscriber on each gateway can follow it by id (as hospital 1's admin).
  t1 = await requestTrip('A', hospital1.id, coordinator1);
  // Both replicas' readers are past T1's request (delivered on both gateways) before anyone follows T1.
  await Promise.all([findSubscriber('center admin', 'A'), findSubscriber('center admin', 'B')].map((subscriber) => subscriber.subscription.take(1)));
  for (const gateway of gateways) subscribe(`trip follower (T1)`, gateway, await signIn(gateway, 'admin@hospital-1.demo'), TRIP_STATUS, { id: t1 });
  await live(4, 9);

  const t2 = await requestTrip('B', hospital1.id, coordinator1);
  const t3 = await requestTrip('A', hospital1.id, coordinator1);
  const t4 = await requestTrip('B', hospital1.id, coordinator1);
  const t5 = await requestTrip('A', hospital1.id, coordinator1);
  const t6 = await requestTrip('B', hospital2.id, 'coordinator@hospital-2.demo');
  const names = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'];
  for (const [index, id] of [t1, t2, t3, t4, t5, t6].entries()) {
    trips[id] = { name: names[index]!, hospitalId: index === 5 ? hospital2.id : hospital1.id, statuses: ['REQUESTED'], outcome: { kind: 'open' }, offeredTo: await offeredTo(id) };
  }
  const agency1 = agencyId('agency-1');
  const agency2 = agencyId('agency-2');
  const accept = async (gateway: Gateway, tripId: string, slug: 'agency-1' | 'agency-2') => {
    await run(gateway, `dispatcher@${slug}.demo`, RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 10 } });
    trips[tripId]!.outcome = { kind: 'accepted', by: agencyId(slug) };
    trips[tripId]!.statuses.push('ACCEPTED');
  };
  const progress = async (gateway: Gateway, tripId: string, status: string) => {
    await run(gateway, 'crew@agency-1.demo', REPORT_PROGRESS, { tripId, status });
    trips[tripId]!.statuses.push(status);
  };
  const assign = async (gateway: Gateway, tripId: string, unitId: string) => {
    await run(gateway, 'dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId });
    trips[tripId]!.statuses.push('ASSIGNED');
  };
  const cancel = async (gateway: Gateway, tripId: string, email: string) => {
    expect((await run(gateway, email, CANCEL, { id: tripId })).cancelTransportRequest.status).toBe('CANCELLED');
    trips[tripId]!.outcome = { kind: 'cancelled' };
    trips[tripId]!.statuses.push('CANCELLED');
  };

  // T1 all the way, every step through the other gateway than the one before.
  await accept('B', t1, 'agency-1');
  await assign('A', t1, await newUnit('A'));
  for (const [index, status] of ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'].entries()) {
    await progress(index % 2 === 0 ? 'B' : 'A', t1, status);
  }
  // T2 on the way; T3 cancelled before anyone accepted; T4 taken by agency 2; T5 left waiting; T6 (hospital 2) cancelled.
  await accept('A', t2, 'agency-1');
  await assign('B', t2, await newUnit('B'));
  await progress('A', t2, 'EN_ROUTE');
  await cancel('B', t3, coordinator1);
  await accept('A', t4, 'agency-2');
  await cancel('A', t6, 'coordinator@hospital-2.demo');
  expect([agency1, agency2].every((agency) => trips[t1]!.offeredTo.includes(agency))).toBe(true);

  // Every subscriber receives everything it is entitled to…
  await Promise.all(
    subscribers.map((subscriber) => {
      const count = OFFER_SUBSCRIBERS.includes(subscriber.name)
        ? expectedCount(expectedOffers(watchedBy(subscriber.name)))
        : expectedCount(expectedStatuses(subscriber.name));
      return subscriber.subscription.take(count, 10_000).catch(() => undefined);
    }),
  );
  drivenAt = Date.now() - started;
  // …and then nothing more: a repeat would come right after (same NOTIFY, same reader pass).
  await new Promise((resolve) => setTimeout(resolve, 500));
});

afterAll(async () => {
  await Promise.allSettled(subscribers.map((subscriber) => subscriber.connection.dispose()));
  await replicas?.stop();
  await stack?.stop();
});

describe('live subscriptions with two gateways in front of two replicas of each owning subgraph', () => {
  it('serve every subscriber every trip status change it is entitled to, exactly once and in order, on either gateway', async () => {
    console.log(`scenario driven and delivered in ${drivenAt} ms`);
    for (const gateway of ['A', 'B'] as const) {
      for (const name of [...STATUS_SUBSCRIBERS, 'trip follower (T1)']) {
        const received = statusesOf(findSubscriber(name, gateway));
        const label = `${name} on gateway ${gateway}`;
        // Only trips of the scenario (no demo trip moved meanwhile), each with exactly its statuses, in order.
        expect(byTrip(received), label).toEqual(expectedStatuses(name));
        // And in the hospital's feed order, exactly the events of its outbox the subscriber may see.
        const visible =
          name.startsWith('hospital-1') ? (row: OutboxRow) => String(row.payload.hospitalId).toLowerCase() === hospital1.id.toLowerCase()
          : name.startsWith('hospital-2') ? (row: OutboxRow) => String(row.payload.hospitalId).toLowerCase() === hospital2.id.toLowerCase()
          : name.startsWith('trip follower') ? (row: OutboxRow) => row.aggregate_id.toLowerCase() === t1 && row.type === 'TripStatusChanged'
          : () => true;
        expect(received, label).toEqual(await statusEventsInDatabase(visible));
      }
    }
  });

  it("keep hospital 1's trips from hospital 2's coordinator, and its own from hospital 1's", async () => {
    const hospital1Trips = Object.keys(trips).filter((id) => trips[id]!.hospitalId === hospital1.id);
    for (const gateway of ['A', 'B'] as const) {
      const received = statusesOf(findSubscriber('hospital-2 coordinator', gateway));
      expect(received.filter((item) => hospital1Trips.includes(item.split(':')[0]!))).toEqual([]);
      const t6 = Object.keys(trips).find((id) => trips[id]!.name === 'T6')!;
      expect(received).toEqual([`${t6}:REQUESTED`, `${t6}:CANCELLED`]);
      for (const name of STATUS_SUBSCRIBERS.slice(0, 2)) {
        expect(statusesOf(findSubscriber(name, gateway)).filter((item) => item.startsWith(t6))).toEqual([]);
      }
    }
  });

  it('carry each change with its previous status and the other silos\' fields, fetched through the same gateway', async () => {
    for (const gateway of ['A', 'B'] as const) {
      const changes = findSubscriber('center admin', gateway).subscription.results.map((result) => result.data.tripStatusChanged);
      const previous = new Map<string, string | null>();
      for (const change of changes) {
        const id = change.transportRequest.id.toLowerCase();
        expect(change.previousStatus).toBe(previous.has(id) ? previous.get(id) : null);
        previous.set(id, change.status);
        expect(change.transportRequest.hospital.name).toBe(trips[id]!.hospitalId === hospital1.id ? hospital1.name : hospital2.name);
      }
      // T1's completion (the last event of T1) shows agency 1 assigned, a field the ems silo resolves.
      const completed = changes.find((change) => change.status === 'COMPLETED');
      expect(completed.transportRequest.assignedAgency.name).toBe(network.agencies.find((agency) => agency.slug === 'agency-1')!.name);
    }
  });

  it('cross-check: the hospital recorded each trip status exactly as the subscribers received it', async () => {
    for (const [id, trip] of Object.entries(trips)) {
      const history = await rows(stack, 'hospital', sql`select status from trip_history where transport_request_id = ${id} order by occurred_at, created_at`);
      expect(history.map((entry) => entry.status), trip.name).toEqual(trip.statuses);
    }
  });

  it("serve each agency's dispatchers, on either gateway, exactly its offers and their withdrawals", async () => {
    const hospital1Agencies = ['agency-1', 'agency-2', 'agency-3', 'agency-5'].map(agencyId).sort();
    for (const trip of Object.values(trips)) if (trip.hospitalId === hospital1.id) expect(trip.offeredTo, trip.name).toEqual(hospital1Agencies);
    for (const gateway of ['A', 'B'] as const) {
      for (const name of OFFER_SUBSCRIBERS.slice(0, 3)) {
        const received = offersOf(findSubscriber(name, gateway));
        const watched = watchedBy(name)!;
        const label = `${name} on gateway ${gateway}`;
        expect(byTrip(received), label).toEqual(expectedOffers(watched));
        expect(received, label).toEqual(await offerEventsInDatabase(watched));
      }
      // Agency 2 saw T1 and T2 taken by agency 1, and nothing after it took T4 itself.
      const agency2 = offersOf(findSubscriber(OFFER_SUBSCRIBERS[0]!, gateway));
      expect(agency2.filter((item) => item.endsWith('TAKEN_BY_ANOTHER_AGENCY'))).toHaveLength(2);
    }
  });

  it('serve center staff watching every agency one item per agency of each offer event, on either gateway', async () => {
    for (const gateway of ['A', 'B'] as const) {
      const received = offersOf(findSubscriber('center admin (every agency)', gateway));
      const label = `center admin (every agency) on gateway ${gateway}`;
      const sorted = (grouped: Record<string, string[]>) => Object.fromEntries(Object.entries(grouped).map(([trip, items]) => [trip, [...items].sort()]));
      expect(sorted(byTrip(received)), label).toEqual(sorted(expectedOffers(null)));
      expect(received, label).toEqual(await offerEventsInDatabase(null));
    }
  });
});
