import { demo } from '@medport/domain';
import { openLiveConnection, postGraphQL, type LiveConnection, type LiveSubscription } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip as requestTripAs } from './support/trips.js';

// Live subscriptions through the gateway over graphql-ws: the trip workflow driven over HTTP, its status changes and
// offers received by real graphql-ws clients, with other silos' fields resolved per event and each caller's scope
// applied per event.

let stack: Stack;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals as [demo.DemoHospital, demo.DemoHospital];
const agency = (slug: string) => network.agencies.find((candidate) => candidate.slug === slug)!;
const connections: LiveConnection[] = [];

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await Promise.allSettled(connections.map((connection) => connection.dispose()));
  await stack?.stop();
});

const STATUS_CHANGES = `subscription($id: ID) {
  tripStatusChanged(transportRequestId: $id) {
    status
    previousStatus
    changedAt
    transportRequest {
      id
      status
      hospital { name }
      assignedAgency { name phone }
      assignedUnit { unitNumber }
    }
  }
}`;

const OFFERS = `subscription {
  tripOffered {
    change
    reason
    agency { id name }
    offer { id status transportLevel hospital { name } origin { name } }
  }
}`;

/**
 * Opens a connection as a demo account and subscribes; resolves once the subscription is live: joined on the gateway,
 * and every upstream the gateway holds (this one's new or shared) listening on its owning silo.
 */
async function subscribe(email: string, query: string, variables: Record<string, unknown> = {}) {
  const before = stack.gateway.subscriptionStats().subscribers;
  const connection = openLiveConnection(stack.gatewayUrl, await stack.tokenFor(email));
  connections.push(connection);
  const subscription = connection.subscribe(query, variables);
  await eventually(async () => {
    const stats = stack.gateway.subscriptionStats();
    expect(stats.subscribers).toBe(before + 1);
    expect(stack.subgraphs.hospital.live.listenerCount + stack.subgraphs.ems.live.listenerCount).toBe(stats.upstreams);
  });
  return subscription;
}

const requestTrip = async (level = 'BLS', coordinator = 'coordinator@hospital-1.demo', hospitalId = hospital1.id) =>
  requestTripAs(stack.gatewayUrl, await stack.as(coordinator), { level, hospitalId });

const offered = async (tripId: string) => (await offersOf(stack, tripId)).map((offer) => offer.agency_id);

async function accept(tripId: string, dispatcher: string) {
  const response = await run(dispatcher, `mutation($tripId: ID!) { respondToTrip(tripId: $tripId, input: { decision: ACCEPT, etaMinutes: 12 }) { status } }`, { tripId });
  expect(response.errors).toBeUndefined();
}

/** Waits until the hospital applied ems's report, so the next step starts from it. */
const hospitalStatus = (tripId: string, status: string) =>
  eventually(async () => {
    const [trip] = await rows(stack, 'hospital', sql`select status from transport_requests where id = ${tripId}`);
    expect(trip?.status).toBe(status);
  });

async function newUnit(agencySlug: string): Promise<{ id: string; unitNumber: string }> {
  const unitNumber = `L-${Math.random().toString(36).slice(2, 8)}`;
  const response = await run(`admin@${agencySlug}.demo`, `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, {
    input: { agencyId: agency(agencySlug).id, unitNumber, level: 'BLS' },
  });
  expect(response.errors).toBeUndefined();
  return { id: response.data.createUnit.id, unitNumber };
}

/** The trip a result is about, for either subscription. */
const tripOf = (result: { data?: any }) => result.data?.tripStatusChanged?.transportRequest.id ?? result.data?.tripOffered?.offer.id;

/**
 * What a subscriber received about one trip. The demo network lives on around the test (the expiry sweep ends its
 * overdue offers), so a subscriber may also receive changes of other trips it may see.
 */
const about = (subscription: LiveSubscription, tripId: string) =>
  subscription.results.filter((result) => tripOf(result) === tripId).map((result) => result.data?.tripStatusChanged ?? result.data?.tripOffered);

/** Waits until a subscriber received `count` results about one trip, and returns them. */
const received = (subscription: LiveSubscription, tripId: string, count: number) =>
  eventually(async () => {
    expect(subscription.results.every((result) => result.errors === undefined)).toBe(true);
    const changes = about(subscription, tripId);
    expect(changes.length).toBeGreaterThanOrEqual(count);
    return changes;
  }, 15_000);

/** Lets events that should not arrive have every chance to, before asserting they did not. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

describe('tripStatusChanged', () => {
  it('delivers every status change of a trip in order, with the agency, unit and hospital resolved by the other silos', async () => {
    const hospitalBoard = await subscribe('coordinator@hospital-1.demo', STATUS_CHANGES);
    const otherHospital = await subscribe('coordinator@hospital-2.demo', STATUS_CHANGES);
    const winner = await subscribe('dispatcher@agency-1.demo', STATUS_CHANGES);
    const loser = await subscribe('dispatcher@agency-2.demo', STATUS_CHANGES);

    const tripId = await requestTrip();
    const followOne = await subscribe('coordinator@hospital-1.demo', STATUS_CHANGES, { id: tripId });
    expect(await offered(tripId)).toContain(agency('agency-1').id);
    await accept(tripId, 'dispatcher@agency-1.demo');
    await hospitalStatus(tripId, 'ACCEPTED');
    const unit = await newUnit('agency-1');
    expect((await run('dispatcher@agency-1.demo', `mutation($t: ID!, $u: ID!) { assignUnit(tripId: $t, unitId: $u) { __typename } }`, { t: tripId, u: unit.id })).errors).toBeUndefined();
    await hospitalStatus(tripId, 'ASSIGNED');
    const steps = ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'];
    for (const status of steps) {
      const report = await run('crew@agency-1.demo', `mutation($t: ID!, $s: TransportStatus!) { reportTripProgress(tripId: $t, status: $s) { __typename } }`, { t: tripId, s: status });
      expect(report.errors).toBeUndefined();
      await hospitalStatus(tripId, status);
    }

    const lifecycle = ['REQUESTED', 'ACCEPTED', 'ASSIGNED', ...steps];
    const changes = await received(hospitalBoard, tripId, lifecycle.length);
    expect(changes.map((change) => change.status)).toEqual(lifecycle);
    expect(changes.map((change) => change.previousStatus)).toEqual([null, ...lifecycle.slice(0, -1)]);
    expect(changes.every((change) => change.transportRequest.id === tripId)).toBe(true);
    // Fields of other silos, resolved for each event as the trip then was: the center names the hospital, ems the
    // agency (once it accepted) and the unit (once assigned).
    expect(changes.every((change) => change.transportRequest.hospital.name === hospital1.name)).toBe(true);
    expect(changes[0]!.transportRequest.assignedAgency).toBeNull();
    expect(changes[1]!.transportRequest.assignedAgency).toEqual({ name: agency('agency-1').name, phone: agency('agency-1').phone });
    expect(changes[1]!.transportRequest.assignedUnit).toBeNull();
    expect(changes[2]!.transportRequest.assignedUnit).toEqual({ unitNumber: unit.unitNumber });
    expect(changes.at(-1)!.transportRequest.status).toBe('COMPLETED');
    // The hospital's own record of the trip holds the same changes, in the same order.
    const history = await rows(stack, 'hospital', sql`select status from trip_history where transport_request_id = ${tripId} order by occurred_at, created_at`);
    expect(history.map((entry) => entry.status)).toEqual(lifecycle);

    // Following one trip: everything after it was subscribed to. The trip was created just before: its REQUESTED is
    // there too when the outbox reader had not passed it yet (the feed waits for older transactions to end), and
    // nothing is ever missing or out of order.
    const statusesOf = (results: { data?: { tripStatusChanged: { status: string } } | null }[]) => results.map((result) => result.data!.tripStatusChanged.status);
    const followed = statusesOf(await followOne.take(lifecycle.length - 1));
    const fromRequest = followed[0] === 'REQUESTED';
    expect(fromRequest ? statusesOf(await followOne.take(lifecycle.length)) : followed).toEqual(lifecycle.slice(fromRequest ? 0 : 1));
    expect(followOne.results.every((result) => tripOf(result) === tripId)).toBe(true);
    // The winning agency sees the trip from the moment it was assigned to it; the other agency never does.
    expect((await received(winner, tripId, lifecycle.length - 1)).map((change) => change.status)).toEqual(lifecycle.slice(1));
    await settle();
    expect(about(hospitalBoard, tripId)).toHaveLength(lifecycle.length);
    expect(about(winner, tripId)).toHaveLength(lifecycle.length - 1);
    expect(about(loser, tripId)).toEqual([]);
    expect(about(otherHospital, tripId)).toEqual([]);
    // Nothing of another tenant reached them at all.
    expect(otherHospital.results.every((result) => result.data!.tripStatusChanged.transportRequest.hospital.name === hospital2.name)).toBe(true);
  });

  it('reaches the other hospital with its own trips only, and the center with every trip', async () => {
    const center = await subscribe('admin@center.demo', `subscription { tripStatusChanged { status transportRequest { id hospital { id } } } }`);
    const hospital2Board = await subscribe('admin@hospital-2.demo', `subscription { tripStatusChanged { status transportRequest { id hospital { id } } } }`);
    const tripOf1 = await requestTrip();
    const tripOf2 = await requestTrip('BLS', 'coordinator@hospital-2.demo', hospital2.id);
    expect((await received(center, tripOf1, 1))[0].transportRequest).toEqual({ id: tripOf1, hospital: { id: hospital1.id } });
    expect((await received(center, tripOf2, 1))[0].transportRequest).toEqual({ id: tripOf2, hospital: { id: hospital2.id } });
    expect((await received(hospital2Board, tripOf2, 1))[0].status).toBe('REQUESTED');
    await settle();
    expect(about(hospital2Board, tripOf1)).toEqual([]);
    expect(hospital2Board.results.every((result) => result.data!.tripStatusChanged.transportRequest.hospital.id === hospital2.id)).toBe(true);
  });

  it('shares one upstream among callers of one role and tenant, but not when they read patient data, whose every read is audited in the reader’s name', async () => {
    // A second account with the coordinator's role at hospital 1.
    const email = `second-coordinator-${Date.now()}@hospital-1.demo`;
    const created = await run('admin@center.demo', `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
      input: { email, name: 'Second Coordinator', role: 'HOSPITAL_STAFF', hospitalId: hospital1.id, password: demo.DEMO_PASSWORD },
    });
    expect(created.errors).toBeUndefined();
    const secondId = created.data.createUser.id as string;
    const firstId = network.users.find((user) => user.email === 'coordinator@hospital-1.demo')!.id;

    const withoutPatientData = `subscription Board { tripStatusChanged { status transportRequest { id priority } } }`;
    const withPatientData = `subscription Ward { tripStatusChanged { status transportRequest { id patientReference } } }`;
    const upstreamsBefore = stack.gateway.subscriptionStats().upstreams;
    const boards = [await subscribe('coordinator@hospital-1.demo', withoutPatientData), await subscribe(email, withoutPatientData)];
    expect(stack.gateway.subscriptionStats().upstreams).toBe(upstreamsBefore + 1);
    const wards = [await subscribe('coordinator@hospital-1.demo', withPatientData), await subscribe(email, withPatientData)];
    expect(stack.gateway.subscriptionStats().upstreams).toBe(upstreamsBefore + 3);

    const tripId = await requestTrip();
    for (const board of boards) expect((await received(board, tripId, 1))[0].transportRequest).toEqual({ id: tripId, priority: 'URGENT' });
    for (const ward of wards) expect((await received(ward, tripId, 1))[0].transportRequest.patientReference).toMatch(/^MRN-/);
    const reads = await rows(
      stack,
      'hospital',
      sql`select actor_id, operation_name from audit_log where action = 'READ_PATIENT_DATA' and entity_id = ${tripId} and outcome = 'ALLOWED'`,
    );
    expect(reads.map((read) => read.actor_id).sort()).toEqual([firstId, secondId].sort());
    // On record under the subscription the client named.
    expect(reads.map((read) => read.operation_name)).toEqual(['Ward', 'Ward']);
  });
});

describe('tripOffered', () => {
  it('tells an agency of trips offered to it and of offers withdrawn when another agency takes the trip', async () => {
    const agency1 = await subscribe('dispatcher@agency-1.demo', OFFERS);
    const agency2 = await subscribe('crew@agency-2.demo', OFFERS);
    const center = await subscribe('admin@center.demo', `subscription($a: ID) { tripOffered(agencyId: $a) { change agency { id } offer { id } } }`, { a: agency('agency-2').id });

    const tripId = await requestTrip();
    const offeredTo = await offered(tripId);
    expect(offeredTo).toEqual(expect.arrayContaining([agency('agency-1').id, agency('agency-2').id]));
    const [offerTo2] = await received(agency2, tripId, 1);
    expect(offerTo2).toMatchObject({
      change: 'OFFERED',
      reason: null,
      agency: { id: agency('agency-2').id },
      offer: { id: tripId, status: 'REQUESTED', transportLevel: 'BLS', hospital: { name: hospital1.name } },
    });
    await received(agency1, tripId, 1);

    await accept(tripId, 'dispatcher@agency-1.demo');
    const [, withdrawn] = await received(agency2, tripId, 2);
    expect(withdrawn).toMatchObject({ change: 'WITHDRAWN', reason: 'TAKEN_BY_ANOTHER_AGENCY', offer: { id: tripId, status: 'ACCEPTED' } });
    const [, centersView] = await received(center, tripId, 2);
    expect(centersView).toEqual({ change: 'WITHDRAWN', agency: { id: agency('agency-2').id }, offer: { id: tripId } });
    await settle();
    // The winner's own offer was answered, not withdrawn: it gets nothing more about the trip.
    expect(about(agency1, tripId).map((change) => change.change)).toEqual(['OFFERED']);
    expect(about(agency2, tripId)).toHaveLength(2);
    // Each agency hears of its own offers only; the center of the agency it asked for.
    expect(agency2.results.every((result) => result.data!.tripOffered.agency.id === agency('agency-2').id)).toBe(true);
    expect(center.results.every((result) => result.data!.tripOffered.agency.id === agency('agency-2').id)).toBe(true);
  });

  it('tells every agency still offered a trip that the hospital cancelled it', async () => {
    const agency3 = await subscribe('dispatcher@agency-3.demo', OFFERS);
    const tripId = await requestTrip();
    expect(await offered(tripId)).toContain(agency('agency-3').id);
    expect((await received(agency3, tripId, 1))[0].change).toBe('OFFERED');
    const cancelled = await run(
      'coordinator@hospital-1.demo',
      `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: PATIENT_CONDITION_CHANGED, party: HOSPITAL }) { status } }`,
      { id: tripId },
    );
    expect(cancelled.errors).toBeUndefined();
    const [, withdrawn] = await received(agency3, tripId, 2);
    expect(withdrawn).toMatchObject({ change: 'WITHDRAWN', reason: 'TRIP_CANCELLED', offer: { id: tripId, status: 'CANCELLED' } });
  });
});
